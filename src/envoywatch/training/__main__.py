"""`python -m envoywatch.training all|NAME...`: retrain models from ../shared/data."""

from __future__ import annotations

import os
import sys

from envoywatch.evaluation import shared_data_dir
from envoywatch.training import TRAINERS, load_builtins


def main(argv: list[str]) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    load_builtins()
    names = argv or ["all"]
    if names == ["all"]:
        names = list(TRAINERS)
    unknown = [n for n in names if n not in TRAINERS]
    if unknown:
        print(f"unknown trainer(s) {unknown}; known: {sorted(TRAINERS)}", file=sys.stderr)
        return 2
    root = shared_data_dir()
    if root is None:
        print("../shared/data is not present: set ENVOYWATCH_SHARED_DATA", file=sys.stderr)
        return 1
    for n in names:
        print(f"training {n} from {root}", file=sys.stderr)
        TRAINERS[n](root)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
