"""`envoywatch report`: a self-contained HTML or PDF report on one actor or account."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envoywatch.cli.app import DbOpt, JsonOpt, app, emit, err, fail, open_ws, want_json
from envoywatch.cli.filters import FromOpt, ToOpt


@app.command()
def report(
    actor: Annotated[str, typer.Argument(help="Actor name or id, or an account as platform:handle.")],
    html: Annotated[bool, typer.Option("--html", help="Write HTML (the default).")] = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="Write PDF (needs Chromium at /usr/bin/chromium).")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Write the report: story, charts as images, and an evidence appendix."""
    from envoywatch.report import ReportError, write_report

    fmt = "pdf" if pdf and not html else "html"
    out = output or Path(f"envoywatch-report.{fmt}")
    try:
        info = write_report(open_ws(db), actor, out, fmt=fmt, date_from=date_from, date_to=date_to)
    except ReportError as e:
        fail(str(e))
    emit(info) if want_json(json) else err.print(f"wrote {out} ({info['bytes']} bytes)")
