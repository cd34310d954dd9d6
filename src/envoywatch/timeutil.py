"""UTC helpers: every time in envoywatch is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(dt: datetime | None) -> datetime | None:
    """Aware UTC; naive values (as SQLite returns them) are taken to be UTC already."""
    if dt is None:
        return None
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt.replace("Z", "+00:00"))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso(dt: datetime | None) -> str | None:
    dt = as_utc(dt)
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def iso_stored(text: str | None) -> str | None:
    """`iso` of a time as SQLite stores it (naive UTC, '2020-03-18 09:15:00.000000'), without parsing it:
    evidence lists cite hundreds of posts a page."""
    if not text:
        return None
    if len(text) == 26 and text[10] == " " and text[19] == ".":
        frac = text[20:]
        return f"{text[:10]}T{text[11:19]}{'' if frac == '000000' else '.' + frac}Z"
    return iso(datetime.fromisoformat(text))
