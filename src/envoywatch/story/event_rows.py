"""The events a story tells, read in one statement with its mission's block reports and, for a page that
lists events of its own, the page's events: each was a statement of its own, and a page read the same
evidence posts twice (the busiest actor: 327 posts, twice, and its 34 events twice)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import CompoundSelect, and_, select, union

from envoywatch.queries import _events_query, evidence_refs
from envoywatch.store.db import Store
from envoywatch.store.schema import accounts, actors, event_accounts, events
from envoywatch.timeutil import as_utc


@dataclass
class Along:
    """Events a caller reads with the story's: those whose id `ids` selects (None: none), which `row`
    tells apart on the row `list_events` reads (event, account, actor), with their evidence's refs when
    `refs` (else only post ids). `found` holds them in time order once read."""

    ids: Any
    row: Any
    refs: bool = True
    found: list[dict[str, Any]] | None = None


def involving(ids: list[int], actor_ids: set[int]):
    """Ids of the events that may concern these accounts: theirs, their actors', or cross-posts naming them.

    Of the built-in events only cross-posts list accounts of other actors in their data ("accounts");
    `event_accounts` lists them. Shifts list their own actor's accounts.
    """
    # one lookup per index (an OR across them would read every event of the workspace)
    return union(select(event_accounts.c.event_id).where(event_accounts.c.account_id.in_(ids or [-1])),
                 select(events.c.id).where(events.c.actor_id.in_(sorted(actor_ids) or [-1])))


def mission_reports(actor: dict):
    """Ids of the block reports of every actor of the same mission (sending and host country)."""
    mission = select(actors.c.id).where(actors.c.sending_country == actor["sending_country"],
                                        actors.c.host_country == actor["host_country"])
    return select(events.c.id).where(events.c.type == "block_reports", events.c.actor_id.in_(mission))


def _period(date_from, date_to) -> list:
    """The period's condition on events, as `list_events` writes it."""
    return ([events.c.start >= as_utc(date_from)] if date_from else []) + (
        [events.c.start < as_utc(date_to)] if date_to else [])


def read(store: Store, sides: dict[str, Any], date_from, date_to, along: Along | None) -> dict[str, list]:
    """The rows of each side (name: a select of event ids; in the period) and of `along` (any date), in
    time order, from one statement: which side a row belongs to comes back as a flag column per side."""
    period = _period(date_from, date_to)
    flags = {name: and_(events.c.id.in_(ids), *period) for name, ids in sides.items()}
    selects = [s for ids in sides.values() for s in _selects(ids)]
    if along is not None and along.ids is not None:
        flags["along"] = along.row
        selects += _selects(along.ids)
        period = []  # the page's own events are of any date; the flags keep the period for the story's
    q = _events_query(select(events, accounts.c.platform, accounts.c.handle, actors.c.name.label("actor"),
                             *(f.label(f"on_{n}") for n, f in flags.items())),
                      None, None, None, None, and_(events.c.id.in_(union(*selects)), *period))
    with store.read() as conn:
        rows = conn.execute(q.order_by(events.c.start, events.c.id)).all()
    return {n: [r for r in rows if r._mapping[f"on_{n}"]] for n in flags}


def _selects(ids) -> list:
    """The selects of a union, flattened into the one union of every side (SQLite takes no nested one)."""
    return list(ids.selects) if isinstance(ids, CompoundSelect) else [ids]


def refs_of(store: Store, ids) -> dict[int, dict]:
    """Evidence refs of these posts, in one read."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    with store.read() as conn:
        return evidence_refs(conn, ids)


def cited(rows: list) -> list[int]:
    """The posts these event rows cite."""
    return [i for r in rows for i in (r.evidence or [])]


def cite(found: list[tuple[Any, dict]], refs: dict[int, dict]) -> None:
    """Give events made without refs (`event_dict(row, {})`) their evidence's refs, in place (the key
    keeps its place)."""
    for r, e in found:
        e["evidence"] = [refs.get(i, {"id": i}) for i in r.evidence or []]


def mission_names(store: Store, actor: dict) -> set[str]:
    with store.read() as conn:
        return set(conn.execute(select(actors.c.name).where(
            actors.c.sending_country == actor["sending_country"],
            actors.c.host_country == actor["host_country"])).scalars())
