"""Run the collectors over the watched accounts, once or every N minutes, with a summary per run.

One account's failure (gone, malformed, rate-limited past the limit) is logged and recorded in
the summary; the others go on. A stop request (SIGTERM/SIGINT) ends the run between two pages,
after the last page's transaction committed, so the next start resumes exactly there.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from envoywatch.accounts import list_accounts
from envoywatch.collect.base import (
    COLLECTORS,
    AccountGone,
    AccountResult,
    FetchError,
    Http,
    Malformed,
    Politeness,
    RunContext,
    Stopped,
)
from envoywatch.store.db import Store
from envoywatch.store.writer import Counts
from envoywatch.timeutil import iso, utcnow

log = logging.getLogger("envoywatch.collect")
INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """"15m", "30s", "2h", "1d" or plain seconds → seconds."""
    match = INTERVAL.match(text or "")
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not an interval like 30s, 15m, 2h or 1d")
    return float(match.group(1)) * UNITS[(match.group(2) or "s").lower()]


@dataclass
class RunOptions:
    """What `envoywatch collect` was asked: filters, servers, bound, page budget, politeness."""

    platform: str | None = None
    account: str | None = None
    base_urls: dict[str, str] = field(default_factory=dict)  # platform (or "*") → URL
    since: datetime | None = None
    max_pages: int = 20
    politeness: Politeness = field(default_factory=Politeness)
    collector_options: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class RunSummary:
    started_at: datetime
    finished_at: datetime | None = None
    accounts: list[AccountResult] = field(default_factory=list)
    http: dict[str, Any] = field(default_factory=lambda: {"requests": 0, "retries": 0, "waited_s": 0.0})
    stopped: bool = False
    error: str | None = None  # the whole run failed (workspace unreachable)

    def as_dict(self) -> dict[str, Any]:
        totals = Counts()
        for a in self.accounts:
            totals.add(a.counts)
        statuses = [a.status for a in self.accounts]
        return {"started_at": iso(self.started_at), "finished_at": iso(self.finished_at),
                "stopped": self.stopped, **totals.as_dict(),
                "accounts_ok": statuses.count("ok"), "accounts_failed": len(statuses) - statuses.count("ok"),
                "http": self.http, "error": self.error, "accounts": [a.as_dict() for a in self.accounts]}


def matches(account: dict[str, Any], wanted: str | None) -> bool:
    if not wanted:
        return True
    wanted = wanted.strip().lstrip("@").lower()
    names = {str(account.get("handle") or "").lower(), str(account.get("platform_id") or "").lower(),
             f"{account['platform']}:{account.get('handle')}".lower()}
    return wanted in names


def select_accounts(store: Store, options: RunOptions) -> list[dict[str, Any]]:
    """Watched accounts that a collector can read, filtered by --platform and --account."""
    from envoywatch.collect import load_builtins

    load_builtins()
    return [a for a in list_accounts(store)
            if a["platform"] in COLLECTORS and (not options.platform or a["platform"] == options.platform)
            and matches(a, options.account)]


def collect_account(http: Http, account: dict, options: RunOptions, ctx: RunContext) -> AccountResult:
    """One account; every failure becomes a status on its result instead of an exception."""
    platform = account["platform"]
    cls = COLLECTORS.get(platform)
    base = options.base_urls.get(platform) or options.base_urls.get("*")
    collector = cls(http, base, options.collector_options.get(platform))
    label = f"{platform}:{account.get('handle') or account.get('platform_id')}"
    try:
        return collector.collect(account, ctx)
    except Stopped:
        raise
    except AccountGone as err:
        log.warning("%s: account gone: %s", label, err)
        return AccountResult(platform, label.split(":", 1)[1], status="gone", error=str(err))
    except (FetchError, Malformed, ValueError) as err:
        log.warning("%s: %s", label, err)
        return AccountResult(platform, label.split(":", 1)[1], status="error", error=str(err)[:500])
    except Exception as err:  # noqa: BLE001 - one account must never stop the others
        log.exception("%s: unexpected failure", label)
        return AccountResult(platform, label.split(":", 1)[1], status="error",
                             error=f"{type(err).__name__}: {err}"[:500])


def run_once(store: Store, options: RunOptions, stop: threading.Event | None = None,
             http: Http | None = None, on_account: Callable[[AccountResult], None] | None = None,
             on_page: Callable[[AccountResult], None] | None = None) -> RunSummary:
    """Collect every selected account once and summarise what each gave."""
    stop = stop or threading.Event()
    own_http = http is None
    http = http or Http(options.politeness, stop=stop)
    ctx = RunContext(store, since=options.since, max_pages=options.max_pages, stop=stop, on_page=on_page)
    summary = RunSummary(started_at=utcnow())
    try:
        for account in select_accounts(store, options):
            if stop.is_set():
                summary.stopped = True
                break
            result = _one(http, account, options, ctx, summary)
            if on_account:
                on_account(result)
            if result.status == "stopped":
                break
    finally:
        summary.http = dict(http.stats, waited_s=round(http.stats["waited_s"], 3))
        if own_http:
            http.close()
    summary.finished_at = utcnow()
    return summary


def _one(http: Http, account: dict, options: RunOptions, ctx: RunContext, summary: RunSummary) -> AccountResult:
    try:
        result = collect_account(http, account, options, ctx)
    except Stopped:
        summary.stopped = True
        result = AccountResult(account["platform"], account.get("handle") or "", status="stopped")
    summary.stopped = summary.stopped or result.status == "stopped"
    summary.accounts.append(result)
    log.info("%s:%s %s: %d pages, %d new, %d duplicates, %d rejected", result.platform,
             result.account, result.status, result.pages, result.counts.inserted,
             result.counts.duplicates, result.counts.rejected)
    return result


def run_every(store: Store, options: RunOptions, interval: float, stop: threading.Event,
              on_summary: Callable[[RunSummary], None], max_runs: int | None = None,
              http: Http | None = None,
              on_account: Callable[[AccountResult], None] | None = None) -> int:
    """Run, wait `interval` seconds, run again, until stopped; returns the number of runs."""
    runs = 0
    while not stop.is_set() and (max_runs is None or runs < max_runs):
        try:
            summary = run_once(store, options, stop=stop, http=http, on_account=on_account)
        except Exception as err:  # noqa: BLE001 - the workspace may be briefly unreachable
            log.exception("run failed; trying again in %.0fs", interval)
            summary = RunSummary(started_at=utcnow(), finished_at=utcnow(),
                                 error=f"{type(err).__name__}: {err}"[:500])
        runs += 1
        on_summary(summary)
        if summary.stopped or (max_runs is not None and runs >= max_runs):
            break
        log.info("next run in %.0fs", interval)
        if stop.wait(interval):
            break
    return runs
