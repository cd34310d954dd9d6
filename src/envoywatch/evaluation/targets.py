"""`eval targets` and `eval topics`: measured quality on the team's own labelled posts.

The sets live in evaldata/targets/ and evaldata/topics/ as dev.jsonl (tuned on) and
test.jsonl (held back); both are reported, per language and overall.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from envoywatch.evaluation import REPO_EVALDATA, Report, evaluation

SPLITS = ("dev", "test")


def load_split(area: str, split: str, root: Path | None = None) -> list[dict[str, Any]]:
    """Labelled rows of one split of evaldata/<area>/."""
    return _read((root or REPO_EVALDATA) / area / f"{split}.jsonl")


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score_targets(rows: list[dict[str, Any]], preds: list[dict[str, Any]]) -> dict[str, Any]:
    """Exact-match rate of target sets, and the share of veiled references resolved right."""
    by_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    veiled = [0, 0]
    errors = []
    for row, pred in zip(rows, preds, strict=True):
        ok = sorted(row["targets"]) == sorted(pred["targets"])
        for key in (row.get("lang", "?"), "all"):
            by_lang[key][0] += ok
            by_lang[key][1] += 1
        got = [c["code"] for c in pred["countries"] if c["veiled"]]
        for v in row.get("veiled", []):
            veiled[1] += 1
            if v["code"] in got:
                veiled[0] += 1
                got.remove(v["code"])
        if not ok or any(v["code"] not in [c["code"] for c in pred["countries"] if c["veiled"]] for v in row.get("veiled", [])):
            errors.append({"id": row["id"], "gold": row["targets"], "pred": pred["targets"],
                           "gold_veiled": [v["code"] for v in row.get("veiled", [])],
                           "pred_veiled": [c["code"] for c in pred["countries"] if c["veiled"]]})
    return {
        "posts": by_lang["all"][1],
        "targets_exact_match": round(by_lang["all"][0] / max(1, by_lang["all"][1]), 3),
        "targets_exact_match_by_lang": {k: round(a / b, 3) for k, (a, b) in sorted(by_lang.items()) if k != "all"},
        "veiled_references": veiled[1],
        "veiled_resolved": round(veiled[0] / max(1, veiled[1]), 3),
        "controls_no_target": sum(1 for r in rows if not r["targets"]),
        "errors": errors,
    }


def predict_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What users get: the real pipeline (language, tone, countries), with each row's prior."""
    from envoywatch.analysis import Context, Pipeline, PostInput

    pipe = Pipeline(["lang", "propaganda", "countries"])
    ctx = Context(target_priors={str(i): r["prior"] for i, r in enumerate(rows) if r.get("prior")})
    posts = [PostInput(id=str(i), text=r["text"], lang=r.get("lang"), account=str(i), sender=r.get("sender"),
                       host=r.get("host")) for i, r in enumerate(rows)]
    return [{"countries": a["countries"], "targets": a["targets"]} for a in pipe.run(posts, ctx)]


@evaluation("targets")
def eval_targets(split: str = "all", show_errors: bool = False, path: str | None = None, **_: Any) -> Report:
    """Targets exact match and veiled resolution on evaldata/targets (dev and test splits), or
    on any file of the same shape (`path`, or `--split NAME` for evaldata/targets/NAME.jsonl)."""
    report: Report = {"measured_on": path or "evaldata/targets (written by the envoywatch team; en/ru/kk/zh)",
                      "goals": {"targets_exact_match": 0.90, "veiled_resolved": 0.85}}
    for s in (("file",) if path else SPLITS if split == "all" else (split,)):
        rows = _read(Path(path)) if path else load_split("targets", s)
        res = score_targets(rows, predict_targets(rows))
        if not show_errors:
            res["errors"] = len(res["errors"])
        report[s] = res
    return report


@evaluation("topics")
def eval_topics(split: str = "all", fast: bool = False, **_: Any) -> Report:
    """Micro-F1 of topic labels on evaldata/topics, with embeddings (or the keyword path if fast)."""
    from envoywatch.analysis.topics import predict_topics

    report: Report = {"measured_on": "evaldata/topics (written by the envoywatch team; en/ru/kk/zh)",
                      "path": "keywords" if fast else "embeddings+keywords",
                      "note": "the topic head is trained on the labelled examples plus the dev split; test is held out"}
    for s in SPLITS if split == "all" else (split,):
        rows = load_split("topics", s)
        preds = predict_topics([r["text"] for r in rows], [r.get("lang") for r in rows], fast=fast)
        report[s] = score_topics(rows, preds)
    return report


def score_topics(rows: list[dict[str, Any]], preds: list[list[str]]) -> dict[str, Any]:
    """Micro precision/recall/F1 over topic labels, per language and overall."""
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for row, pred in zip(rows, preds, strict=True):
        gold, got = set(row["topics"]), set(pred)
        for key in (row.get("lang", "?"), "all"):
            acc[key][0] += len(gold & got)
            acc[key][1] += len(got - gold)
            acc[key][2] += len(gold - got)

    def f1(tp: int, fp: int, fn: int) -> dict[str, float]:
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / max(1e-9, p + r), 3)}

    return {"posts": len(rows), **f1(*acc["all"]),
            "f1_by_lang": {k: f1(*v)["f1"] for k, v in sorted(acc.items()) if k != "all"}}
