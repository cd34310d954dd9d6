"""The bundled demo: build a workspace from the demo files, analyse it, tell the story."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from envoywatch.accounts import import_file, list_accounts
from envoywatch.analyze import analyze
from envoywatch.ingest import ingest
from envoywatch.store import open_store
from envoywatch.store.db import Store

REGISTRY = "accounts.csv"
NOT_DATA = {REGISTRY, "README.md"}


def demo_dir() -> Path:
    return Path(str(resources.files("envoywatch") / "data" / "demo"))


def demo_files() -> list[Path]:
    return sorted(p for p in demo_dir().iterdir() if p.is_file() and p.name not in NOT_DATA)


@dataclass
class DemoResult:
    db: Path
    ingest: dict
    analyze: dict
    accounts: list[dict]
    stories: list[dict] = field(default_factory=list)
    report: Path | None = None


def build(out: Path, say: Callable[[str], None] = lambda s: None, progress=None) -> DemoResult:
    """Create or refresh DIR/envoywatch.db from the demo data and analyse it."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / "envoywatch.db"
    store = open_store(db)
    say(f"workspace: {db}")
    import_file(store, demo_dir() / REGISTRY)
    summary = ingest(store, demo_files()).summary()
    say(f"ingested {summary['read']} records from {len(demo_files())} files: {summary['inserted']} new, "
        f"{summary['duplicates']} already there, {summary['rejected']} rejected")
    result = analyze(store, progress=progress)
    say(f"annotated {result.annotated} posts; events: "
        + (", ".join(f"{n} {k}" for k, n in result.events.items()) or "none"))
    accounts = list_accounts(store)
    return DemoResult(db, summary, result.summary(), accounts)


def main_actors(store: Store) -> list[str]:
    """Actors with watched accounts, busiest first."""
    by_actor: dict[str, int] = {}
    for a in list_accounts(store):
        if a["actor"]:
            by_actor[a["actor"]] = by_actor.get(a["actor"], 0) + a["posts"]
    return sorted(by_actor, key=lambda k: -by_actor[k])
