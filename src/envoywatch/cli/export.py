"""`envoywatch export`: posts with annotations as CSV, JSON Lines or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envoywatch.cli.analysis import FromOpt, ToOpt
from envoywatch.cli.app import DbOpt, JsonOpt, app, emit, err, fail, open_ws, want_json


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", "-f", help="csv, jsonl or parquet.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write; stdout when absent "
                                                "(not for parquet).")] = None,
    q: Annotated[str | None, typer.Option("--q", "--search", help="Full-text search.")] = None,
    account: Annotated[str | None, typer.Option(help="platform:handle, handle or actor name.")] = None,
    platform: Annotated[str | None, typer.Option()] = None,
    lang: Annotated[str | None, typer.Option()] = None,
    target: Annotated[str | None, typer.Option(help="ISO code the post is hostile to.")] = None,
    technique: Annotated[str | None, typer.Option(help="DIPROMATS technique label.")] = None,
    kind: Annotated[str | None, typer.Option(help="original, reply, repost or quote.")] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Export every matching post with its annotations (CSV is UTF-8 with BOM, formula-safe)."""
    from envoywatch.export import FORMATS, export_posts
    from envoywatch.queries import PostFilter

    if format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    if output is None and (format == "parquet" or want_json(json)):
        fail("give --output FILE" + (" (parquet is binary)" if format == "parquet" else " with --json"))
    f = PostFilter(q=q, account=account, platform=platform, lang=lang, target=target, technique=technique,
                   kind=kind, date_from=date_from, date_to=date_to)
    n = export_posts(open_ws(db), f, format, output)
    if want_json(json):
        emit({"format": format, "output": str(output), "rows": n})
    elif output is not None:
        err.print(f"wrote {n} posts to {output}")
