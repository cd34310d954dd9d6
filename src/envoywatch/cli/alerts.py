"""`envoywatch alerts run`: deliver new alerts (webhook, email, Atom feed), each exactly once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from envoywatch.cli.app import DbOpt, JsonOpt, app, emit, err, fail, open_ws, want_json

alerts_app = typer.Typer(help="Alert rules: new target country, backlash, block reports, cross-posts, shifts.",
                         no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("run")
def run(
    config: Annotated[Path | None, typer.Option(help="Rules and SMTP settings (YAML); default "
                                                "$ENVOYWATCH_ALERTS or WORKSPACE.alerts.yaml.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Dashboard URL used in alert links.")] = None,
    every: Annotated[int | None, typer.Option(help="Repeat every N seconds until interrupted.")] = None,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Evaluate the rules and send each alert not yet sent; a restart never repeats one."""
    from types import SimpleNamespace

    from envoywatch.alerts import config_path, load_config, run_alerts

    store = open_ws(db)
    path = config or config_path(SimpleNamespace(store=store, alerts_config=None))
    if not path.exists():
        fail(f"{path}: no alert config (see docs/dashboard.md for the format)")
    while True:
        try:
            counts = run_alerts(store, load_config(path), base_url)
        except (ValueError, TypeError, KeyError) as e:
            fail(f"{path}: {e}")
        if want_json(json):
            emit(counts)
        else:
            err.print(f"{counts['sent']} sent, {counts['already_sent']} already sent, {counts['failed']} failed")
            for e in counts["errors"]:
                err.print(f"  {e}", markup=False)
        if not every:
            return
        time.sleep(every)
