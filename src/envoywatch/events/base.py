"""The event contract: detectors read the workspace and return events with their evidence."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from envoywatch.plugins import Registry
from envoywatch.store.db import Store
from envoywatch.store.schema import events
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
        stale = [k for k in old if k not in keys]
        if stale:
            conn.execute(delete(events).where(events.c.key.in_(stale)))
        now = utcnow()
        for e in found:
            row = {"type": e.type, "account_id": e.account_id, "actor_id": e.actor_id,
                   "start": as_utc(e.start), "end": as_utc(e.end), "score": e.score,
                   "summary": e.summary, "data": e.data, "evidence": [int(i) for i in e.evidence]}
            if e.key in old:
                conn.execute(update(events).where(events.c.id == old[e.key]).values(**row))
            else:
                conn.execute(insert(events).values(key=e.key, created_at=now, **row))
    return len(found)
