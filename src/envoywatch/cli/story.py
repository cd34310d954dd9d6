"""`envoywatch story`: the findings about an actor or account, written up with evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envoywatch.cli.app import DbOpt, JsonOpt, app, emit, fail, open_ws, want_json
from envoywatch.cli.filters import FromOpt, ToOpt

FORMATS = ("text", "md", "html")


@app.command()
def story(
    who: Annotated[str, typer.Argument(help="Actor name, platform:handle, or handle.")],
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    format: Annotated[str, typer.Option("--format", help="text, md or html.")] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """The story of an actor or account: targets, veiled posts, cross-posts, backlash, blocks, shifts."""
    from envoywatch.story import build_story, render_html, render_markdown, render_text

    if format not in FORMATS:
        fail(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    try:
        s = build_story(open_ws(db), who, date_from, date_to)
    except LookupError as e:
        fail(str(e).strip("'\""))
    if want_json(json) and not output:
        emit(s)
        return
    if want_json(json):
        import orjson

        body = orjson.dumps(s, default=str, option=orjson.OPT_INDENT_2).decode()
    else:
        body = {"text": render_text, "md": render_markdown, "html": render_html}[format](s)
    if output:
        output.write_text(body, encoding="utf-8")
    else:
        typer.echo(body)
