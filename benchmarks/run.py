"""Run every benchmark script (bench_*.py) in turn; results land in benchmarks/results/*.json.

`make bench` runs this. Pass names to run a subset: python benchmarks/run.py ingest memory
Scale knobs for a quick pass: ENVOYWATCH_BENCH_QUICK=1 shrinks workloads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
QUICK_ARGS = {"ingest": ["--tweets", "20000"], "memory": ["--small-mb", "10", "--large-mb", "100"]}


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    failed = []
    for s in scripts:
        name = s.stem.removeprefix("bench_")
        args = QUICK_ARGS.get(name, []) if os.environ.get("ENVOYWATCH_BENCH_QUICK") else []
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, str(s), *args]).returncode != 0:
            failed.append(name)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
