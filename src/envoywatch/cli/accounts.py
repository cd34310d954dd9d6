"""`envoywatch accounts`: the registry of watched actors and accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from envoywatch.cli.app import DbOpt, JsonOpt, app, emit, emit_lines, err, fail, open_ws, want_json

accounts_app = typer.Typer(help="The registry: actors and their accounts on each platform.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")


@accounts_app.command("add")
def add(
    actor: Annotated[str, typer.Option(help='Actor name, e.g. "Embassy of China in Kazakhstan".')],
    role: Annotated[str, typer.Option(help="embassy, ambassador, ministry, spokesperson, state_media.")],
    platform: Annotated[str, typer.Option(help="x, facebook, instagram, telegram, bluesky, mastodon, web.")],
    handle: Annotated[str, typer.Option(help="Account handle, with or without '@'.")],
    sending_country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2 of the sending country.")] = None,
    host_country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2 of the host country.")] = None,
    platform_id: Annotated[str | None, typer.Option(help="The platform's numeric or DID id, if known.")] = None,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Add one watched account (and its actor, if new)."""
    from envoywatch.accounts import RegistryError, upsert, validate

    row = {"actor": actor, "role": role, "sending_country": sending_country, "host_country": host_country,
           "platform": platform, "handle": handle, "platform_id": platform_id}
    try:
        entry = validate(row, "account")
    except RegistryError as e:
        fail(str(e))
    store = open_ws(db)
    with store.write() as conn:
        counts = upsert(conn, [entry])
    emit(counts) if want_json(json) else err.print(f"registered {platform}:{entry.handle} for {actor}")


@accounts_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV or YAML with actor,role,sending_country,host_country,platform,handle.")],
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Import the registry from CSV or YAML; every row is checked before anything is written."""
    from envoywatch.accounts import RegistryError, import_file

    if not file.exists():
        fail(f"{file}: no such file")
    try:
        counts = import_file(open_ws(db), file)
    except RegistryError as e:
        fail(str(e))
    if want_json(json):
        emit(counts)
    else:
        err.print(f"{counts['actors']} new actors, {counts['accounts_added']} accounts added, "
                  f"{counts['accounts_updated']} updated")


@accounts_app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Include unwatched accounts (repliers).")] = False,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """List watched accounts with their actor and post counts."""
    from envoywatch.accounts import list_accounts

    rows = list_accounts(open_ws(db), watched_only=not all_)
    if want_json(json):
        emit_lines(rows)
        return
    t = Table("actor", "role", "platform", "handle", "sender", "host", "posts")
    for r in rows:
        t.add_row(r["actor"] or "-", r["role"] or "-", r["platform"], r["handle"] or r["platform_id"] or "",
                  r["sending_country"] or "", r["host_country"] or "", str(r["posts"]))
    from rich.console import Console

    Console().print(t)


@accounts_app.command("export")
def export(
    format: Annotated[str, typer.Option("--format", help="csv or yaml.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write; default stdout.")] = None,
    db: DbOpt = None,
) -> None:
    """Export the registry as CSV or YAML (the same columns that import reads)."""
    from envoywatch.accounts import export_text

    if format not in ("csv", "yaml"):
        fail("--format must be csv or yaml")
    text = export_text(open_ws(db), format)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)
