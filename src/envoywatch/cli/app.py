"""The `envoywatch` command: global options and JSON/terminal output helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    name="envoywatch",
    help="Watch what embassies and diplomats post on social media, and how the public answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


class State:
    db: str | None = None
    json: bool = False


state = State()

DbOpt = Annotated[str | None, typer.Option("--db", help="Workspace: SQLite path or postgresql:// URL "
                                           "(default $ENVOYWATCH_DB, then ./envoywatch.db).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout, nothing else.")]


@app.callback()
def main(db: DbOpt = None, json: JsonOpt = False) -> None:
    """envoywatch: targets, veiled references, cross-posts, backlash, blocks and shifts."""
    state.db = db
    state.json = json


def want_json(flag: bool) -> bool:
    return flag or state.json


def open_ws(db: str | None):
    """Open the workspace named by the command's --db, else the global one."""
    from envoywatch.store import open_store

    return open_store(db or state.db, upgrading=_upgrading)


def _upgrading(current: str, head: str) -> None:
    err.print(f"Upgrading the workspace from schema {escape(current)} to {escape(head)}; on a large "
              "workspace this can take minutes (indexes are rebuilt).", highlight=False)


def emit(obj: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(obj, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n")
    sys.stdout.flush()


def emit_lines(items: Iterable[Any]) -> None:
    for obj in items:
        emit(obj)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def progress_bar(enabled: bool):
    """A rich progress bar on a terminal (stderr), or None when quiet or not a terminal."""
    if not enabled or not err.is_terminal:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err, transient=False)
