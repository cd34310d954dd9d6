"""`envoywatch ingest`: import export files into the workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envoywatch.cli.app import DbOpt, JsonOpt, app, emit, err, fail, open_ws, progress_bar, want_json


def parse_map(value: str | None) -> dict[str, str]:
    """`text=message,created_at=date` → {"text": "message", "created_at": "date"}."""
    if not value:
        return {}
    out = {}
    for part in value.split(","):
        if "=" not in part:
            fail(f"--map: {part!r} is not FIELD=COLUMN")
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Export files: twarc2 JSONL, tweets.js, CrowdTangle CSV, "
                                                "Telegram result.json, Bluesky, Mastodon, 4CAT NDJSON, DIPROMATS, CSV/JSONL.")],
    format: Annotated[str | None, typer.Option("--format", help="Override format detection.")] = None,
    map: Annotated[str | None, typer.Option("--map", help="Generic format: FIELD=COLUMN,... "
                                            "(text, id, created_at, author, platform, in_reply_to, lang, url).")] = None,
    account: Annotated[str | None, typer.Option(help="Owner handle for files that do not name it (tweets.js).")] = None,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Import files; re-running is safe (duplicates are counted, never stored twice)."""
    from envoywatch.ingest import ingest as run
    from envoywatch.sources import SOURCES, UnknownFormat, load_builtins

    load_builtins()
    for f in files:
        if not f.is_file():
            fail(f"{f}: no such file")
    if format and format not in SOURCES:
        fail(f"unknown format {format!r}; known: {', '.join(SOURCES.names())}")
    options: dict = {}
    if map:
        options["map"] = parse_map(map)
        format = format or "generic"
    if account:
        options["account"] = account
    store = open_ws(db)
    bar = progress_bar(not want_json(json))

    def factory(path: Path):
        if bar is None:
            return None
        task = bar.add_task(path.name, total=path.stat().st_size)

        def update(done: int, total: int | None, stage: str | None = None) -> None:
            bar.update(task, completed=done, total=total or bar.tasks[task].total,
                       description=f"{path.name}: {stage}" if stage else path.name)
        return update

    try:
        if bar:
            bar.start()
        result = run(store, files, format, options, factory)
    except UnknownFormat as e:
        fail(str(e))
    except (ValueError, KeyError) as e:
        fail(str(e))
    finally:
        if bar:
            bar.stop()
    summary = result.summary()
    if want_json(json):
        emit(summary)
        return
    err.print(f"read {summary['read']}: {summary['inserted']} inserted, {summary['updated']} updated, "
              f"{summary['duplicates']} duplicates, {summary['rejected']} rejected")
    if summary["rejects_file"]:
        err.print(f"rejects with reasons: {summary['rejects_file']}")
