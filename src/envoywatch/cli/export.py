"""`envoywatch export`: posts with annotations as CSV, JSON Lines or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envoywatch.cli.app import DbOpt, JsonOpt, app, emit, err, fail, open_ws, want_json
from envoywatch.cli.filters import (
    AccountOpt,
    FromOpt,
    KindOpt,
    LangOpt,
    PlatformOpt,
    SearchOpt,
    TargetOpt,
    TechniqueOpt,
    ToOpt,
)


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", "-f", help="csv, jsonl or parquet.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write; stdout when absent "
                                                "(not for parquet).")] = None,
    q: SearchOpt = None,
    account: AccountOpt = None,
    platform: PlatformOpt = None,
    lang: LangOpt = None,
    target: TargetOpt = None,
    technique: TechniqueOpt = None,
    kind: KindOpt = None,
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
