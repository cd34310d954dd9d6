"""`envoywatch collect`: read watched accounts live from Bluesky, Mastodon, Telegram and websites."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer

from envoywatch.cli.app import DbOpt, JsonOpt, app, emit, err, fail, open_ws, progress_bar, want_json

PLATFORMS = ("bluesky", "mastodon", "telegram", "web")


def parse_base_urls(values: list[str] | None) -> dict[str, str]:
    """`URL` (every platform) or `platform=URL`, repeatable."""
    out: dict[str, str] = {}
    for value in values or []:
        name, sep, url = value.partition("=")
        if sep and name in PLATFORMS:
            out[name] = url
        elif "://" in value:
            out["*"] = value
        else:
            fail(f"--base-url: {value!r} is neither URL nor PLATFORM=URL")
    return out


def parse_since(value: str | None):
    from envoywatch.sources._util import parse_time

    if not value:
        return None
    since = parse_time(value if len(value) > 10 else f"{value}T00:00:00+00:00")
    if since is None:
        fail(f"--since: {value!r} is not a date (YYYY-MM-DD or ISO 8601)")
    return since


def print_summary(summary: dict) -> None:
    for a in summary["accounts"]:
        colour = {"ok": "green", "gone": "yellow"}.get(a["status"], "red")
        err.print(f"[{colour}]{a['status']:>7}[/] {a['platform']}:{a['account']}  {a['pages']} pages, "
                  f"{a['inserted']} new, {a['updated']} updated, {a['duplicates']} seen, "
                  f"{a['rejected']} rejected, {a['threads']} threads, {a['blocks']} blocks"
                  + (f"  ({a['error']})" if a["error"] else ""), highlight=False)
    err.print(f"run {summary['started_at']} → {summary['finished_at']}: {summary['inserted']} new posts, "
              f"{summary['accounts_ok']} accounts ok, {summary['accounts_failed']} failed, "
              f"{summary['http']['requests']} requests, {summary['http']['retries']} retries"
              + (" (stopped)" if summary["stopped"] else ""), highlight=False)


def setup_logging(quiet: bool) -> None:
    """envoywatch's own lines on stderr (warnings only with --json); rich ones on a terminal."""
    logging.getLogger("envoywatch").setLevel(logging.WARNING if quiet else logging.INFO)
    if quiet or not err.is_terminal:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
        return
    from rich.logging import RichHandler

    logging.basicConfig(level=logging.WARNING, format="%(message)s",
                        handlers=[RichHandler(console=err, show_path=False)])


def install_stop(stop: threading.Event) -> dict:
    """SIGTERM and SIGINT ask for a clean stop: the page being written commits, then we exit."""
    def handler(signum, _frame) -> None:
        logging.getLogger("envoywatch.collect").warning("signal %s: stopping after this page", signum)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


@app.command()
def collect(
    platform: Annotated[str | None, typer.Option(help="Only this platform: bluesky, mastodon, telegram, web.")] = None,
    account: Annotated[str | None, typer.Option(help="Only this watched account (handle or id).")] = None,
    base_url: Annotated[list[str] | None, typer.Option(
        "--base-url", help="Send requests to this server instead (URL, or PLATFORM=URL; repeatable).")] = None,
    pds_url: Annotated[str | None, typer.Option(help="Bluesky PDS for block records (default: from the DID).")] = None,
    since: Annotated[str | None, typer.Option(help="Fetch again back to this date, ignoring cursors.")] = None,
    every: Annotated[str | None, typer.Option(help="Run on a schedule in the foreground: 30s, 15m, 2h.")] = None,
    max_pages: Annotated[int, typer.Option(min=1, help="Timeline pages per account per run; "
                                           "the rest follows next run.")] = 20,
    delay: Annotated[float, typer.Option(min=0, help="Seconds between requests to one host.")] = 1.0,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds before a request times out.")] = 20.0,
    retries: Annotated[int, typer.Option(min=0, help="Retries after 429, 5xx or network errors.")] = 4,
    backoff: Annotated[float, typer.Option(min=0, help="First wait (s) after a 5xx without "
                                           "Retry-After; doubles each retry.")] = 2.0,
    contact: Annotated[str | None, typer.Option(help="E-mail or URL added to the User-Agent.")] = None,
    runs: Annotated[int | None, typer.Option(hidden=True, help="With --every: stop after N runs.")] = None,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Collect the watched accounts' new posts and replies (and Bluesky blocks); resumable."""
    from envoywatch.collect.base import Politeness
    from envoywatch.collect.runner import RunOptions, parse_interval

    if platform and platform not in PLATFORMS:
        fail(f"--platform: {platform!r} is not one of {', '.join(PLATFORMS)}")
    interval = None
    if every:
        try:
            interval = parse_interval(every)
        except ValueError as e:
            fail(f"--every: {e}")
    setup_logging(want_json(json))
    options = RunOptions(platform=platform, account=account, base_urls=parse_base_urls(base_url),
                         since=parse_since(since), max_pages=max_pages,
                         politeness=Politeness(min_interval=delay, timeout=timeout, max_retries=retries,
                                               backoff=backoff, contact=contact),
                         collector_options={"bluesky": {"pds_url": pds_url}} if pds_url else {})
    run_command(open_ws(db), options, interval, runs, want_json(json))


class RunDisplay:
    """A progress bar over accounts on a terminal, and the summary after each run."""

    def __init__(self, total: int, as_json: bool) -> None:
        self.total, self.as_json = total, as_json
        self.bar = progress_bar(not as_json)
        self.task = self.bar.add_task("collecting", total=total) if self.bar else None

    def advance(self, result) -> None:
        if self.bar is not None:
            self.bar.start()
            self.bar.update(self.task, advance=1, description=f"{result.platform}:{result.account}")

    def report(self, summary) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar.reset(self.task, total=self.total)
        data = summary.as_dict()
        emit(data) if self.as_json else print_summary(data)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def run_command(store, options, interval: float | None, runs: int | None, as_json: bool) -> None:
    """Run once or on a schedule, stopping cleanly on SIGTERM/SIGINT."""
    from envoywatch.collect.runner import run_every, run_once, select_accounts

    selected = select_accounts(store, options)
    if not selected:
        store.close()
        fail("no watched account matches (add them with `envoywatch accounts import FILE`)")
    display = RunDisplay(len(selected), as_json)
    stop = threading.Event()
    previous = install_stop(stop)
    try:
        if interval is None:
            display.report(run_once(store, options, stop=stop, on_account=display.advance))
        else:
            run_every(store, options, interval, stop, display.report, max_runs=runs,
                      on_account=display.advance)
    finally:
        display.close()
        for sig, old in previous.items():
            signal.signal(sig, old)
        store.close()
