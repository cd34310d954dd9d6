"""Peak memory of `envoywatch ingest` on a small and a ten-times larger file: it must stay flat.

Usage: python benchmarks/bench_memory.py [--small-mb 100] [--large-mb 1000]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import WORK, save, write_twarc_pages  # noqa: E402

BYTES_PER_TWEET = 431  # measured on the generator's output, page overhead included


def peak_rss_of_ingest(pages: Path, db: Path) -> tuple[float, float]:
    """Run the real CLI in a child process; return (peak RSS in MB, seconds)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    exe = Path(sys.executable).with_name("envoywatch")
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, str(exe), "--db", str(db), "ingest", str(pages), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip().splitlines()[-1]) / 1024, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small-mb", type=int, default=100)
    ap.add_argument("--large-mb", type=int, default=1000)
    args = ap.parse_args()
    work = WORK / "memory"
    rows = {}
    for label, mb in (("small", args.small_mb), ("large", args.large_mb)):
        n = mb * 1024 * 1024 // BYTES_PER_TWEET
        pages = write_twarc_pages(work / f"{label}.jsonl", n)
        size = pages.stat().st_size / 1e6
        rss, secs = peak_rss_of_ingest(pages, work / f"{label}.db")
        rows[label] = {"file_mb": round(size, 1), "tweets": n, "peak_rss_mb": round(rss, 1),
                       "seconds": round(secs, 1)}
        pages.unlink()
    ratio = rows["large"]["peak_rss_mb"] / rows["small"]["peak_rss_mb"]
    save("memory", {"workload": "twarc2 pages of generated tweets, envoywatch ingest in a child process",
                    "runs": rows, "large_over_small_peak_rss": round(ratio, 3),
                    "goal": "large/small peak RSS <= 1.2 (flat memory while the file grows 10x)",
                    "own_rusage_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


if __name__ == "__main__":
    main()
