"""The event contract: detectors read the workspace and return events with their evidence."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from envoywatch.plugins import Registry
from envoywatch.store.db import Store
from envoywatch.store.schema import accounts, event_accounts, events
from envoywatch.timeutil import as_utc, utcnow

EVENT_TYPES = ("crosspost", "backlash", "block_reports", "shift")


@dataclass
class Event:
    """One finding: a cross-post cluster, a backlash wave, block reports, a shift."""

    type: str
    key: str  # stable across re-runs, e.g. "backlash:acc12:2020-03-22"
    start: datetime | None
    end: datetime | None = None
    account_id: int | None = None
    actor_id: int | None = None
    score: float | None = None
    summary: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    evidence: list[int] = field(default_factory=list)  # workspace post ids


Detector = Callable[[Store], Iterable[Event]]
DETECTORS: Registry[Detector] = Registry("event detector")


def detector(name: str) -> Callable[[Detector], Detector]:
    """Register a detector; its events replace the previous run's events of that detector."""
    return DETECTORS.register(name)


def save_events(store: Store, name: str, found: Iterable[Event]) -> int:
    """Upsert the detector's events by key and drop its events no longer found."""
    found = list(found)
    for e in found:
        if not e.key.startswith(f"{name}:"):
            e.key = f"{name}:{e.key}"
    keys = {e.key for e in found}
    with store.write() as conn:
        old = dict(conn.execute(select(events.c.key, events.c.id)
                                .where(events.c.key.like(f"{name}:%"))).all())
        stale = [old[k] for k in old if k not in keys]
        if stale:
            conn.execute(delete(event_accounts).where(event_accounts.c.event_id.in_(stale)))
            conn.execute(delete(events).where(events.c.id.in_(stale)))
        now = utcnow()
        saved = []
        for e in found:
            row = {"type": e.type, "account_id": e.account_id, "actor_id": e.actor_id,
                   "start": as_utc(e.start), "end": as_utc(e.end), "score": e.score,
                   "summary": e.summary, "data": e.data, "evidence": [int(i) for i in e.evidence]}
            if e.key in old:
                conn.execute(update(events).where(events.c.id == old[e.key]).values(**row))
                saved.append((old[e.key], e.account_id, e.data))
            else:
                new = conn.execute(insert(events).values(key=e.key, created_at=now, **row)).inserted_primary_key
                saved.append((new[0], e.account_id, e.data))
        link_accounts(conn, saved)
    return len(found)


def link_accounts(conn, saved: list[tuple[int, int | None, dict]]) -> None:
    """List the accounts each (event id, account id, data) concerns in `event_accounts`: its own, and the
    "platform:handle" keys its data lists under "accounts"."""
    ids = [i for i, _, _ in saved]
    for part in range(0, len(ids), 500):
        conn.execute(delete(event_accounts).where(event_accounts.c.event_id.in_(ids[part:part + 500])))
    named = {i: _named(d) for i, _, d in saved}
    by_key: dict[str, int] = {}
    for platform in {k.split(":", 1)[0] for keys in named.values() for k in keys}:
        handles = sorted({k.split(":", 1)[1] for keys in named.values() for k in keys if k.startswith(platform + ":")})
        for part in range(0, len(handles), 500):
            by_key |= {f"{platform}:{h}": i for i, h in conn.execute(
                select(accounts.c.id, accounts.c.handle).where(accounts.c.platform == platform,
                                                                accounts.c.handle.in_(handles[part:part + 500])))}
    rows = {(i, a) for i, own, _ in saved for a in [own, *(by_key.get(k) for k in named[i])] if a is not None}
    if rows:
        conn.execute(insert(event_accounts), [{"event_id": i, "account_id": a} for i, a in sorted(rows)])


def _named(data: dict | None) -> list[str]:
    """The "platform:handle" keys an event's data lists under "accounts" (cross-posts, shifts)."""
    keys = (data or {}).get("accounts") if isinstance(data, dict) else None
    return [k for k in keys if isinstance(k, str) and ":" in k] if isinstance(keys, list) else []
