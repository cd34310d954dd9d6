"""Peak memory of `envoywatch ingest` on a small and a ten-times larger file: it must stay flat.

Usage: python benchmarks/bench_memory.py [--small-mb 100] [--large-mb 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import subprocess
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _common import WORK, save, write_twarc_pages

BYTES_PER_TWEET = 431  # measured on the generator's output, page overhead included


def _tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (the ingest may read in a second process)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def peak_rss_of_ingest(pages: Path, db: Path) -> dict[str, float]:
    """Run the real CLI in a child process; return the peak RSS of its whole process tree (sampled
    every 20 ms), the largest single process's peak from the kernel, and seconds."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    exe = Path(sys.executable).with_name("envoywatch")
    t0 = time.perf_counter()
    proc = psutil.Popen([str(exe), "--db", str(db), "ingest", str(pages), "--json"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc))
        time.sleep(0.02)
    secs = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"ingest failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")
    single = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": round(peak / 2**20, 1), "largest_process_peak_rss_mb": round(single, 1),
            "seconds": round(secs, 1)}


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
        rows[label] = {"file_mb": round(size, 1), "tweets": n,
                       **peak_rss_of_ingest(pages, work / f"{label}.db")}
        pages.unlink()
    ratio = rows["large"]["peak_rss_mb"] / rows["small"]["peak_rss_mb"]
    save("memory", {"workload": "twarc2 pages of generated tweets, envoywatch ingest in a child process; peak_rss_mb sums the RSS of its whole process tree (sampled every 20 ms)",
                    "runs": rows, "large_over_small_peak_rss": round(ratio, 3),
                    "goal": "large/small peak RSS <= 1.2 (flat memory while the file grows 10x)",
                    "own_rusage_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


if __name__ == "__main__":
    main()
