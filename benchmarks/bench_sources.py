"""Importer speed and peak memory on generated exports, against ijson (yajl2_c) and orjson.

For a small and a ten-times larger file of each shape (a Telegram result.json, a DIPROMATS-style
JSON array, twarc2 JSONL pages), each reader runs in its own child process; we record seconds,
MB/s and peak RSS, for the full importer (records mapped to posts) and for its record splitter
alone (`split`: records parsed, not mapped). Alternatives for the splitter, same run: ijson's C
backend streaming the same array (no per-record recovery) and orjson loading the whole file. Extra cases: one record with a 2M- and a 10M-character text (escaped as \\uXXXX),
where yajl rescans the string at every read chunk.

Usage: python benchmarks/bench_sources.py [--small-mb 20] [--large-mb 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import WORK, save, tweet, write_twarc_pages

CHILD = r"""
import resource, sys, time
from pathlib import Path
kind, fmt, path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
t0 = time.perf_counter()
n = 0
if kind == "envoywatch":
    from envoywatch.sources import SOURCES, load_builtins
    load_builtins()
    for item in SOURCES.get(fmt)().read(path, {}):
        n += 1
elif kind == "split":  # envoywatch's record splitter + orjson, without mapping to posts
    from envoywatch.sources._util import iter_json_items
    keys = ("messages",) if fmt == "telegram" else ()
    for item in iter_json_items(path, keys):
        n += 1
elif kind == "ijson":
    import ijson
    prefix = "messages.item" if fmt == "telegram" else "item"
    with open(path, "rb") as f:
        for item in ijson.items(f, prefix, use_float=True):
            n += 1
elif kind == "orjson":
    import orjson
    doc = orjson.loads(path.read_bytes())
    n = len(doc["messages"] if fmt == "telegram" else doc)
secs = time.perf_counter() - t0
print(n, secs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def message(i: int) -> dict:
    words = tweet(i)["text"]
    return {"id": i, "type": "message", "date": "2023-03-01T11:00:00", "date_unixtime": str(1677668400 + i),
            "from": "Посольство", "from_id": "channel1", "reply_to_message_id": max(1, i - 3),
            "text": [f"Посольство сообщает: {words} ", {"type": "hashtag", "text": "#новости"}],
            "text_entities": [{"type": "plain", "text": words}]}


def dipromats_item(i: int) -> dict:
    return {"test_case": "DIPROMATS2023", "id": str(i), "country": "China", "user_name": f"user{i % 50}",
            "tweet_type": "Tweet", "tweet_id": 10**18 + i, "UTC": "2020-03-01 11:00:01+00:00",
            "rts&fav": i % 100, "language": "en", "text": tweet(i)["text"], "value": "false"}


def write_array(path: Path, mb: int, make, wrapper: str | None) -> Path:
    """A pretty-printed JSON array (inside {"messages": ...} when wrapper is set) of about `mb` MB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    limit = mb * 1024 * 1024
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"name": "bench", "type": "public_channel", "id": 1, "messages": [\n' if wrapper else "[\n")
        rendered = [json.dumps(make(i), ensure_ascii=False, indent=1) for i in range(1000)]
        i = written = 0
        while written < limit:  # 1,000 distinct records, repeated: the parser sees the same work
            chunk = (",\n" if i else "") + rendered[i % 1000]
            f.write(chunk)
            written += len(chunk.encode("utf-8"))
            i += 1
        f.write("\n]}" if wrapper else "\n]")
    return path


def run_child(kind: str, fmt: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, fmt, str(path)],
                         capture_output=True, text=True, timeout=3600, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1][:300]}
    n, secs, rss = out.stdout.split()
    size = path.stat().st_size / 1e6
    return {"records": int(n), "seconds": round(float(secs), 2),
            "mb_per_s": round(size / float(secs), 1), "peak_rss_mb": round(float(rss), 1)}


def measure(fmt: str, path: Path, alternatives: tuple[str, ...]) -> dict:
    row = {"file_mb": round(path.stat().st_size / 1e6, 1), "envoywatch": run_child("envoywatch", fmt, path)}
    if "ijson" in alternatives:
        row["split"] = run_child("split", fmt, path)
    for alt in alternatives:
        row[alt] = run_child(alt, fmt, path)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small-mb", type=int, default=20)
    ap.add_argument("--large-mb", type=int, default=200)
    args = ap.parse_args()
    work = WORK / "sources"
    shapes = {
        "telegram": (lambda p, mb: write_array(p, mb, message, "messages"), ("ijson", "orjson")),
        "dipromats": (lambda p, mb: write_array(p, mb, dipromats_item, None), ("ijson", "orjson")),
        "twarc2": (lambda p, mb: write_twarc_pages(p, mb * 1024 * 1024 // 431), ()),
    }
    runs: dict = {}
    for fmt, (make, alts) in shapes.items():
        for label, mb in (("small", args.small_mb), ("large", args.large_mb)):
            path = make(work / f"{fmt}-{label}.json", mb)
            runs.setdefault(fmt, {})[label] = measure(fmt, path, alts if label == "large" else ())
            path.unlink()
    for chars, alts in ((2_000_000, ("ijson",)), (10_000_000, ())):  # ijson on 10M takes ~20 min
        long_field = work / "long-field.json"
        long_field.write_text(json.dumps([{**dipromats_item(0), "text": "ж" * chars}]))
        runs[f"dipromats_field_{chars // 1_000_000}m_chars"] = measure("dipromats", long_field, alts)
        long_field.unlink()
    summary = {}
    for fmt in ("telegram", "dipromats", "twarc2"):
        small, large = runs[fmt]["small"]["envoywatch"], runs[fmt]["large"]["envoywatch"]
        entry = {"large_over_small_peak_rss": round(large["peak_rss_mb"] / small["peak_rss_mb"], 3)}
        split = runs[fmt]["large"].get("split", {})
        for alt in ("ijson", "orjson"):
            other = runs[fmt]["large"].get(alt)
            if other and "seconds" in other and "seconds" in split:
                entry[f"split_speed_vs_{alt}"] = round(other["seconds"] / split["seconds"], 2)
                entry[f"split_peak_rss_vs_{alt}"] = round(split["peak_rss_mb"] / other["peak_rss_mb"], 3)
        entry["importer_mb_per_s"] = large["mb_per_s"]
        summary[fmt] = entry
    field = runs["dipromats_field_2m_chars"]
    if "seconds" in field.get("ijson", {}) and "seconds" in field.get("split", {}):
        summary["2m_char_field_split_speed_vs_ijson"] = round(field["ijson"]["seconds"] / field["split"]["seconds"], 2)
    save("sources", {"workload": "generated Telegram result.json, DIPROMATS-style array, twarc2 pages; "
                                 "each reader in its own process",
                     "runs": runs, "summary": summary,
                     "goal": "peak RSS flat as the file grows 10x; split_speed_vs_x > 1 means envoywatch's "
                             "record splitter is faster than x at the same job (records parsed, not mapped)"})


if __name__ == "__main__":
    main()
