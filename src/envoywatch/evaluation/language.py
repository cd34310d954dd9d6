"""`eval language`: accuracy of the `lang` analyzer on labelled texts of known language.

Two sources: every text of the team's labelled sets under evaldata/ (short replies and posts in
kk/ru/en/zh, the hard cases: a Kazakh reply without Kazakh-only letters, a two-word reply), and
evenly spaced rows of the shared real data (DIPROMATS tweets in en/es, SemEval Russian news
paragraphs, COLD Chinese comments) when it is present.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from envoywatch.evaluation import REPO_EVALDATA, Report, evaluation, shared_data_dir

PER_SHARED_SOURCE = 400  # rows taken from each shared dataset, evenly spaced


def team_rows(root: Path = REPO_EVALDATA) -> list[dict[str, str]]:
    """(text, lang, source) of every labelled text under evaldata/, each distinct text once."""
    seen: set[str] = set()
    out = []
    for path in sorted(root.glob("*/*.jsonl")):
        for row in _jsonl(path):
            for text, lang in _texts_of(row):
                if text and lang and text not in seen:
                    seen.add(text)
                    out.append({"text": text, "lang": lang, "source": f"evaldata/{path.parent.name}"})
    return out


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        yield from (json.loads(line) for line in f if line.strip())


def _texts_of(row: dict[str, Any]) -> list[tuple[str, str]]:
    if "text" in row:
        return [(row["text"], row.get("lang"))]
    return [(row[k], k) for k in ("en", "ru", "kk", "zh") if isinstance(row.get(k), str)]  # parallel rows


def shared_rows(root: Path | None, n: int = PER_SHARED_SOURCE) -> list[dict[str, str]]:
    """Evenly spaced rows of the shared real datasets, with the language each is written in."""
    if root is None:
        return []
    out: list[dict[str, str]] = []
    for name, lang in (("train_t1_en.json", "en"), ("train_t1_es.json", "es")):
        path = root / "dipromats2023" / name
        if path.exists():
            texts = [r["text"] for r in json.loads(path.read_text("utf-8"))]
            out += _spaced(texts, n, lang, f"dipromats2023/{name}")
    path = root / "semeval2023-task3" / "ru" / "train-labels-subtask-3.template"
    if path.exists():
        lines = path.read_text("utf-8").splitlines()
        texts = [p[2] for p in (line.split("\t", 2) for line in lines) if len(p) == 3 and p[2].strip()]
        out += _spaced(texts, n, "ru", "semeval2023-task3/ru")
    path = root / "cold" / "dev.csv"
    if path.exists():
        with path.open(encoding="utf-8-sig") as f:
            texts = [r["TEXT"] for r in csv.DictReader(f)]
        out += _spaced(texts, n, "zh", "cold/dev.csv")
    return out


def _spaced(texts: list[str], n: int, lang: str, source: str) -> list[dict[str, str]]:
    step = max(1, len(texts) // n)
    return [{"text": t, "lang": lang, "source": source} for t in texts[::step][:n]]


def score(rows: list[dict[str, str]], preds: list[str], show_errors: bool = False) -> dict[str, Any]:
    """Accuracy overall, per gold language and per source, with counts."""
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusions: dict[str, int] = defaultdict(int)
    errors = []
    for row, pred in zip(rows, preds, strict=True):
        ok = pred == row["lang"]
        for key in ("all", f"lang:{row['lang']}", f"source:{row['source']}"):
            acc[key][0] += ok
            acc[key][1] += 1
        if not ok:
            confusions[f"{row['lang']}->{pred}"] += 1
            errors.append({"gold": row["lang"], "pred": pred, "text": row["text"][:160]})
    out: dict[str, Any] = {"texts": acc["all"][1], "accuracy": round(acc["all"][0] / max(1, acc["all"][1]), 4)}
    for prefix in ("lang:", "source:"):
        out[f"by_{prefix[:-1]}"] = {k.removeprefix(prefix): {"n": b, "accuracy": round(a / b, 4)}
                                    for k, (a, b) in sorted(acc.items()) if k.startswith(prefix)}
    out["confusions"] = dict(sorted(confusions.items(), key=lambda kv: -kv[1]))
    out["errors"] = errors if show_errors else len(errors)
    return out


@evaluation("language")
def eval_language(show_errors: bool = False, n: int = PER_SHARED_SOURCE, **_: Any) -> Report:
    """Accuracy of language detection on evaldata/ texts and on samples of the shared real data."""
    from envoywatch.analysis.lang import detect

    report: Report = {
        "measured_on": {
            "team": "every labelled text under evaldata/ (written by the envoywatch team; kk/ru/en/zh)",
            "shared": f"{int(n)} evenly spaced rows each of DIPROMATS train_t1_en/es, SemEval-2023 ru, COLD dev",
        },
        "note": "the language given by a platform is trusted by the analyzer; this measures detection alone",
    }
    for name, rows in (("team", team_rows()), ("shared", shared_rows(shared_data_dir(), int(n)))):
        if rows:
            report[name] = score(rows, [detect(r["text"])[0] for r in rows], _truthy(show_errors))
    return report


def _truthy(v: Any) -> bool:
    return v is True or str(v).lower() in ("1", "true", "yes")
