"""Any CSV or JSON Lines file, mapped by the user: `--map text=message,created_at=date,id=post_id,...`.

Never auto-detected. Map targets: id, text, author (handle), author_id, author_name, platform,
created_at, lang, in_reply_to, in_reply_to_handle, conversation_id, quoted_id, reposted_id,
url, kind. `platform=` names a column, or a platform itself (`platform=telegram`). In JSON Lines,
a source may be a dotted path (`author=user.screen_name`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from envoywatch.domain import PLATFORMS, POST_KINDS, AccountRef, Location, Parsed, Post, Reject
from envoywatch.sources._util import (
    add_note,
    clean_text,
    guarded,
    iter_csv,
    iter_lines,
    loads_line,
    opt_str,
    parse_time,
    raw_text,
)
from envoywatch.sources.base import Sample, Source, source

TARGETS = {"id", "text", "author", "author_id", "author_name", "platform", "created_at", "lang",
           "in_reply_to", "in_reply_to_handle", "conversation_id", "quoted_id", "reposted_id",
           "url", "kind"}


ALIASES = {"twitter": "x", "twitter.com": "x", "x.com": "x", "fb": "facebook", "ig": "instagram"}


class MappingError(ValueError):
    """The --map option is missing, malformed, or names columns the file does not have."""


def parse_map(spec: str | dict[str, str] | None) -> dict[str, str]:
    """ "text=message,id=post_id" (or that as a dict) -> {"text": "message", ...}, validated."""
    if isinstance(spec, dict):
        spec = ",".join(f"{k}={v}" for k, v in spec.items())
    if not spec:
        raise MappingError("the generic importer needs a column map: --map text=COLUMN,id=COLUMN,"
                           "author=COLUMN,platform=COLUMN_OR_PLATFORM[,created_at=COLUMN,...]")
    mapping = {}
    for part in spec.split(","):
        target, sep, column = part.partition("=")
        target, column = target.strip(), column.strip()
        if not sep or not column:
            raise MappingError(f"bad map entry {part!r}: expected TARGET=COLUMN")
        if target not in TARGETS:
            raise MappingError(f"unknown map target {target!r}; known: {', '.join(sorted(TARGETS))}")
        mapping[target] = column
    missing = [t for t in ("id", "text", "platform") if t not in mapping]
    if "author" not in mapping and "author_id" not in mapping:
        missing.append("author or author_id")
    if missing:
        raise MappingError(f"the map lacks {', '.join(missing)}")
    return mapping


REQUIRED = ("id", "text", "author", "author_id", "platform")


def check_columns(mapping: dict[str, str], found: list[str], only: tuple[str, ...] = ()) -> None:
    """Raise one clear error naming the mapped columns the file lacks and the columns it has.

    A CSV header is checked for every mapped column; a JSON line (whose optional keys may be
    absent) for the required ones only.
    """
    roots = set(found)
    missing = [f"{t}={c}" for t, c in mapping.items()
               if (not only or t in only) and c.split(".")[0] not in roots and c not in roots
               and not (t == "platform" and c.lower() in PLATFORMS)]
    if missing:
        raise MappingError(f"mapped columns not in the file: {', '.join(missing)}; "
                           f"columns found: {', '.join(found) or '(none)'}")


def lookup(record: dict[str, Any], column: str) -> Any:
    if column in record:
        return record[column]
    value: Any = record
    for step in column.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value


@source
class GenericSource(Source):
    name = "generic"
    description = "any CSV or JSONL with a column map (--format generic --map text=COL,...)"

    def detect(self, sample: Sample) -> float:
        return 0.0

    def read(self, path: Path, options: dict[str, Any] | None = None) -> Iterator[Parsed | Reject]:
        path, options = Path(path), options or {}
        mapping = parse_map(options.get("map"))
        with open(path, "rb") as f:
            head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"{"):
            return read_jsonl_mapped(path, mapping)
        return read_csv_mapped(path, mapping, options)


def read_csv_mapped(path: Path, mapping: dict[str, str], options: dict[str, str]) -> Iterator[Parsed | Reject]:
    checked = False
    for number, offset, row, note in iter_csv(path, options):
        where = Location(str(path), number, offset)
        if isinstance(row, csv.Error):
            yield Reject(where, f"broken CSV row: {row}", "")
            continue
        if not checked:
            check_columns(mapping, [k for k in row if k != "__extra__"])
            checked = True
        parsed = guarded(where, row, partial(map_record, mapping=mapping))
        yield add_note(parsed, note) if note else parsed


def read_jsonl_mapped(path: Path, mapping: dict[str, str]) -> Iterator[Parsed | Reject]:
    checked = False
    for number, offset, line in iter_lines(path):
        where = Location(str(path), number, offset)
        try:
            record, note = loads_line(line)
        except (ValueError, RecursionError) as err:
            yield Reject(where, str(err)[:500], raw_text(line))
            continue
        if not isinstance(record, dict):
            yield Reject(where, "line is not a JSON object", raw_text(line))
            continue
        if not checked:
            check_columns(mapping, list(record), REQUIRED)
            checked = True
        parsed = guarded(where, record, partial(map_record, mapping=mapping))
        yield add_note(parsed, note) if note else parsed


def map_record(record: dict[str, Any], where: Location, mapping: dict[str, str]) -> Parsed | Reject:
    def get(target: str) -> str | None:
        return opt_str(lookup(record, mapping[target])) if target in mapping else None

    column = mapping["platform"]
    platform = (get("platform") or "").lower() or column.lower()
    platform = ALIASES.get(platform, platform)
    if platform not in PLATFORMS:
        return Reject(where, f"platform {platform!r} is not one of {', '.join(PLATFORMS)}", raw_text(record))
    post_id, author, author_id = get("id"), get("author"), get("author_id")
    if post_id is None or not (author or author_id):
        return Reject(where, "row without id or author", raw_text(record))
    notes: list[str] = []
    created_raw = get("created_at")
    created = parse_time(created_raw)
    if created_raw and created is None:
        notes.append(f"note: created_at not understood: {created_raw[:40]!r}")
    kind = (get("kind") or "").lower()
    post = Post(
        platform=platform, platform_id=post_id,
        author=AccountRef(platform, handle=author.lstrip("@") if author else None,
                          platform_id=author_id, display_name=get("author_name")),
        text=clean_text(lookup(record, mapping["text"]), notes),
        created_at=created, lang=get("lang"),
        in_reply_to=get("in_reply_to"), in_reply_to_handle=get("in_reply_to_handle"),
        conversation_id=get("conversation_id"), quoted_id=get("quoted_id"),
        reposted_id=get("reposted_id"), url=get("url"), raw=record,
    )
    post.kind = kind if kind in POST_KINDS else (
        "repost" if post.reposted_id else "reply" if post.in_reply_to else
        "quote" if post.quoted_id else "original")
    used = {c.split(".")[0] for c in mapping.values()}
    post.unmapped = sorted(str(k) for k in record if k not in used) + notes
    return Parsed(where=where, posts=[post])
