"""`envoywatch demo`: the whole path on the bundled demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from envoywatch.cli.app import app, err, progress_bar


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the workspace and the report.")] = Path("envoywatch-demo"),
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the report; do not serve the dashboard.")] = False,
    host: Annotated[str, typer.Option(help="Dashboard address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8000,
) -> None:
    """Build DIR/envoywatch.db from the demo data, analyse it, write DIR/report.html, print the story."""
    from envoywatch import demo as demo_mod
    from envoywatch.store import open_store

    bar = progress_bar(True)
    task = bar.add_task("annotating", total=None) if bar else None
    if bar:
        bar.start()
    try:
        result = demo_mod.build(out, say=lambda s: err.print(s, highlight=False),
                                progress=(lambda d, t: bar.update(task, completed=d, total=t)) if bar else None)
    finally:
        if bar:
            bar.stop()
    console = Console()
    t = Table("actor", "platform", "handle", "posts", title="watched accounts")
    for a in result.accounts:
        t.add_row(a["actor"] or "-", a["platform"], a["handle"] or "", str(a["posts"]))
    console.print(t)
    store = open_store(result.db)
    actors = demo_mod.main_actors(store)
    from envoywatch.story import build_story, render_text

    for name in actors:
        console.print(render_text(build_story(store, name)), markup=False, highlight=False)
    from envoywatch.report import write_report

    report = out / "report.html"
    if actors:
        write_report(store, actors[0], report, fmt="html")
        err.print(f"report: {report}")
    if no_serve:
        return
    import uvicorn

    from envoywatch.web import create_app

    err.print(f"dashboard: http://{host}:{port}/  (Ctrl-C to stop)")
    uvicorn.run(create_app(store=store), host=host, port=port, log_level="warning")
