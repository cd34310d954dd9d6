"""`envoywatch serve` and `envoywatch tokens`: the dashboard and the API tokens that allow writes."""

from __future__ import annotations

from typing import Annotated

import typer

from envoywatch.cli.app import (
    DbOpt,
    JsonOpt,
    app,
    emit,
    emit_lines,
    err,
    fail,
    open_ws,
    state,
    want_json,
)

tokens_app = typer.Typer(help="API tokens: the dashboard is read-only unless a request carries one.",
                         no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on; keep 127.0.0.1 unless behind a proxy.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    alerts: Annotated[str | None, typer.Option(help="Alert config YAML (rules, SMTP) for /alerts.atom "
                                               "and the rules API.")] = None,
    alerts_every: Annotated[int | None, typer.Option(help="Also deliver alerts every N seconds while "
                                                     "serving.")] = None,
    db: DbOpt = None,
) -> None:
    """Serve the dashboard and the JSON API on the workspace."""
    import uvicorn

    from envoywatch.web import create_app

    store = open_ws(db)
    application = create_app(store=store, alerts_config=alerts)
    if alerts_every:
        _alert_loop(application, alerts_every, f"http://{host}:{port}")
    err.print(f"envoywatch dashboard on http://{host}:{port}/ (workspace {db or state.db or 'default'})")
    uvicorn.run(application, host=host, port=port, log_level="warning", proxy_headers=False)


def _alert_loop(application, every: int, base_url: str) -> None:
    """Deliver alerts in the background while the dashboard serves (each once, as `alerts run`)."""
    import threading
    import time

    from envoywatch.alerts import config_path, load_config, run_alerts

    def loop() -> None:
        while True:
            try:
                counts = run_alerts(application.state.store, load_config(config_path(application.state)),
                                    base_url)
                if counts["sent"] or counts["failed"]:
                    err.print(f"alerts: {counts['sent']} sent, {counts['failed']} failed", markup=False)
            except (OSError, ValueError, TypeError, KeyError) as e:
                err.print(f"alerts: {e}", markup=False)
            time.sleep(every)

    threading.Thread(target=loop, name="envoywatch-alerts", daemon=True).start()


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. 'collector on host B'.")] = "token",
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Create a token; it is shown once and stored only as a hash."""
    from envoywatch.web.security import create_token

    t = create_token(open_ws(db), name)
    if want_json(json):
        emit(t)
    else:
        err.print(f"token {t['id']} ({name}); keep it safe, it is not shown again:")
        typer.echo(t["token"])


@tokens_app.command("list")
def tokens_list(db: DbOpt = None, json: JsonOpt = False) -> None:
    """List tokens (names and dates; never the tokens)."""
    from envoywatch.web.security import list_tokens

    rows = list_tokens(open_ws(db))
    if want_json(json):
        emit_lines(rows)
        return
    for r in rows:
        typer.echo(f"{r['id']}\t{r['name']}\t{r['created_at']}\t{'revoked' if r['revoked'] else 'active'}")


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="Token id from `tokens list`.")],
                  db: DbOpt = None, json: JsonOpt = False) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    from envoywatch.web.security import revoke_token

    if not revoke_token(open_ws(db), token_id):
        fail(f"no token with id {token_id}")
    emit({"revoked": token_id}) if want_json(json) else err.print(f"token {token_id} revoked")
