"""Streaming helpers every importer shares: JSON/JSONL/CSV readers, dates, text cleaning, guards."""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import orjson

from envoywatch.domain import MAX_TEXT, Location, Parsed, Reject
from envoywatch.sources._jsonstream import iter_json_pieces

RAW_LIMIT = 2000
CSV_FIELD_LIMIT = 64 * 1024 * 1024  # a runaway quote stops here instead of eating the file
NOTE_REPLACED = "note: invalid bytes replaced (not UTF-8 or control characters)"
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13))
_CONTROL_CHARS = {c: None for c in range(32) if c not in (9, 10, 13)}
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
SUSPECT_TEXT = _SUSPECT  # text clean_text would change (besides its length)

csv.field_size_limit(min(sys.maxsize, CSV_FIELD_LIMIT))


class ReplaceCounter:
    """Counts bytes replaced while decoding, so a record can say its text was repaired."""

    def __init__(self) -> None:
        self.count = 0

    def mark(self) -> int:
        return self.count


# --- text ---------------------------------------------------------------------------------


def clean_text(value: Any, notes: list[str] | None = None, field: str = "text") -> str:
    """Text safe to store: no NUL/control bytes, no lone surrogates, cut at MAX_TEXT (noted)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= MAX_TEXT and not _SUSPECT.search(text):  # the common case: one C-level scan
        return text
    if _CONTROL_RE.search(text):
        cleaned = text.translate(_CONTROL_CHARS)
        if cleaned != text and notes is not None:
            notes.append(f"note: control characters removed from {field}")
        text = cleaned
    if _SURROGATE.search(text):
        text = text.encode("utf-8", "replace").decode("utf-8")
        if notes is not None:
            notes.append(f"note: invalid characters replaced in {field}")
    if len(text) > MAX_TEXT:
        if notes is not None:
            notes.append(f"note: {field} truncated from {len(text)} to {MAX_TEXT} characters")
        text = text[:MAX_TEXT]
    return text


def opt_str(value: Any, limit: int = 2048) -> str | None:
    """A short identifier-like string or None (ids, handles, urls, languages)."""
    if type(value) is str and len(value) <= limit and value.isprintable():  # the common case, fast
        return value.strip() or None
    if value is None or value == "" or isinstance(value, (dict, list, bool)):
        return None
    text = clean_text(value)[:limit].strip()
    return text or None


def to_int(value: Any) -> int | None:
    """Counts as ints: 12, "12", "1,234", 12.0; anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if not math.isnan(value) and abs(value) < 1e18 else None
    if isinstance(value, str):
        digits = value.strip().replace(",", "").replace(" ", "")
        if digits.lstrip("-").isdigit() and len(digits) < 19:
            return int(digits)
    return None


def unmapped_keys(record: Any, mapped: Iterable[str]) -> list[str]:
    """Source fields this importer does not map, sorted, for Post.unmapped."""
    if not isinstance(record, dict):
        return []
    known = mapped if isinstance(mapped, (set, frozenset, dict)) else set(mapped)
    extra = [k for k in record if k not in known]
    return sorted(str(k) for k in extra) if extra else extra


def raw_text(record: Any) -> str:
    """The record as text for a Reject, cut to RAW_LIMIT characters."""
    if isinstance(record, (bytes, bytearray)):
        return bytes(record[: RAW_LIMIT * 4]).decode("utf-8", "replace")[:RAW_LIMIT]
    if isinstance(record, str):
        return record[:RAW_LIMIT]
    try:
        return orjson.dumps(record, default=str).decode()[:RAW_LIMIT]
    except (TypeError, orjson.JSONEncodeError):
        return repr(record)[:RAW_LIMIT]


def dig(record: Any, *path: str | int) -> Any:
    """record[a][b]... or None when any step is missing or of the wrong type."""
    cur = record
    for step in path:
        if isinstance(step, int):
            if not isinstance(cur, list) or not -len(cur) <= step < len(cur):
                return None
        elif not isinstance(cur, dict):
            return None
        cur = cur[step] if isinstance(step, int) else cur.get(step)
        if cur is None:
            return None
    return cur


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- dates --------------------------------------------------------------------------------

_TZ_ABBR = {
    "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
    "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2, "MSK": 3,
}
_V11 = "%a %b %d %H:%M:%S %z %Y"
_EPOCH = re.compile(r"-?\d{9,13}(\.\d+)?")


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601, epoch seconds/ms, X v1.1 or RFC 2822 strings."""
    if type(value) is str and 19 <= len(value) <= 40 and value[4:5] == "-":  # ISO 8601, fast
        try:
            dt = datetime.fromisoformat(value)
            return dt if dt.tzinfo is UTC else _aware(dt)
        except (ValueError, OverflowError):
            pass
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        if isinstance(value, (int, float)):
            return _from_epoch(float(value))
        text = str(value).strip()[:64]
        if len(text) > 13 and text[4:5] == "-":  # ISO 8601, the common case
            try:
                return _aware(datetime.fromisoformat(text))
            except ValueError:
                pass
        if _EPOCH.fullmatch(text):
            return _from_epoch(float(text))
        return _parse_text_time(text)
    except (ValueError, OverflowError, OSError, TypeError):
        return None


def _from_epoch(seconds: float) -> datetime:
    if abs(seconds) > 1e11:  # milliseconds
        seconds /= 1000
    return datetime.fromtimestamp(seconds, tz=UTC)


def _parse_text_time(text: str) -> datetime | None:
    parts = text.rsplit(" ", 1)
    if len(parts) == 2 and parts[1].upper() in _TZ_ABBR and ":" in parts[0]:
        base = datetime.fromisoformat(parts[0].replace("T", " "))
        return (base - timedelta(hours=_TZ_ABBR[parts[1].upper()])).replace(tzinfo=UTC)
    for parse in (_iso, lambda t: datetime.strptime(t, _V11), parsedate_to_datetime):
        try:
            dt = parse(text)
        except (ValueError, TypeError, IndexError):
            continue
        if dt is not None:
            return _aware(dt)
    return None


def _iso(text: str) -> datetime:
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


# --- byte streams -------------------------------------------------------------------------


class CleanStream(io.RawIOBase):
    """A binary file seen as valid UTF-8: BOM dropped, bad bytes replaced, control bytes removed.

    ijson (yajl) stops at the first invalid byte; this keeps a hostile file readable and counts
    what it repaired, so records can carry a note.
    """

    def __init__(self, raw: BinaryIO, counter: ReplaceCounter, chunk: int = 1 << 16) -> None:
        self._raw = raw
        self._chunk = chunk
        self._counter = counter
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buf = b""
        self._first = True

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._buf:
            data = self._raw.read(max(size or 0, self._chunk))
            final = not data
            self._buf = self._fix(data, final)
            if final:
                break
        if size is None or size < 0:
            size = len(self._buf)
        out, self._buf = self._buf[:size], self._buf[size:]
        return out

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def _fix(self, data: bytes, final: bool) -> bytes:
        if self._first and data:
            self._first = False
            if data.startswith(codecs.BOM_UTF8):
                data = data[3:]
        if data.isascii() and not self._decoder.getstate()[0]:
            fixed = data
        else:
            text = self._decoder.decode(data, final)
            self._counter.count += text.count("\ufffd")
            fixed = text.encode("utf-8")
        stripped = fixed.translate(None, _CONTROL)
        self._counter.count += len(fixed) - len(stripped)
        return stripped


def iter_json_items(
    path: Path, keys: Iterable[str] = (), skip_to: int = 0
) -> Iterator[tuple[str | None, bool, int, Any, str | None, bool]]:
    """Stream records of a JSON document as (key, in_array, offset, value, error, note).

    Records are the items of a root array, or of the top-level arrays (or objects) named by
    `keys`. A record that does not parse comes as its bytes, with the reason in error.
    """
    for key, in_array, offset, data, error in iter_json_pieces(path, frozenset(keys), skip_to):
        if error is not None or data is None:
            yield key, in_array, offset, data, error or "unreadable record", None
            continue
        try:
            value, note = loads_line(data)
        except (ValueError, RecursionError) as err:
            yield key, in_array, offset, data, f"{err}"[:500], None
            continue
        yield key, in_array, offset, value, None, note


def json_head(head: bytes, max_events: int = 20000) -> tuple[dict[str, Any], list[str], str]:
    """From the start of a JSON document: top-level scalars, top-level keys, root kind.

    Root kind is "array", "object" or "" (not JSON). Works on a truncated head.
    """
    scalars: dict[str, Any] = {}
    keys: list[str] = []
    root = ""
    depth = 0
    key = None
    counter = ReplaceCounter()
    try:
        events = ijson.parse(CleanStream(io.BytesIO(head), counter), use_float=True)
        for n, (_, event, value) in enumerate(events):
            if n > max_events:
                break
            if depth == 0 and event in ("start_map", "start_array"):
                root = "object" if event == "start_map" else "array"
            if depth == 1 and root == "object":
                if event == "map_key":
                    key = value
                    keys.append(value)
                elif event not in ("start_map", "start_array", "end_map", "end_array"):
                    scalars[key] = value
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
    except (ijson.JSONError, ValueError, UnicodeDecodeError):
        pass
    return scalars, keys, root


def first_json_object(head: bytes) -> Any:
    """The first JSON value of a JSONL head (its first line), or None."""
    line = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    try:
        return loads_line(line)[0]
    except ValueError:
        return None


def first_array_item(head: bytes) -> Any:
    """The first item of a top-level JSON array in a (possibly truncated) head, or None."""
    counter = ReplaceCounter()
    try:
        for item in ijson.items(CleanStream(io.BytesIO(head), counter), "item", use_float=True):
            return item
    except (ijson.JSONError, ValueError):
        return None
    return None


# --- JSON Lines ---------------------------------------------------------------------------


def iter_lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(1-based line number, byte offset, line bytes) for each non-blank line, streaming."""
    offset = 0
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            start = offset
            offset += len(line)
            if number == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[3:]
            if line.strip():
                yield number, start, line


def decode_bytes(data: bytes, encoding: str = "utf-8") -> tuple[str, str | None]:
    """Text of bytes that should be UTF-8, with a note when they were not.

    A run with no valid UTF-8 sequence at all is read as CP1251 when that gives Cyrillic
    letters, else as CP1252 (Latin-1); mixed bytes keep the UTF-8 and replace the rest.
    """
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError:
        pass
    lenient = data.decode(encoding, "replace")
    if encoding.replace("-", "").lower() == "utf8" and all(c == "\ufffd" or c.isascii() for c in lenient):
        high = sum(1 for b in data if b >= 0x80)
        cyrillic = data.decode("cp1251", "replace")
        if sum(1 for c in cyrillic if "\u0400" <= c <= "\u04ff") >= 0.7 * high:
            return cyrillic, "note: not UTF-8; decoded as CP1251"
        return data.decode("cp1252", "replace"), "note: not UTF-8; decoded as CP1252"
    return lenient, NOTE_REPLACED


def loads_line(line: bytes) -> tuple[Any, str | None]:
    """Parse one JSON line; returns (value, note). Bad bytes are repaired and noted, not fatal."""
    try:
        return orjson.loads(line), None
    except orjson.JSONDecodeError as err:
        text, note = decode_bytes(line)
        cleaned = text.translate(_CONTROL_CHARS)
        try:
            value = json.loads(cleaned)
            if _ESCAPED_SURROGATE.search(cleaned):
                value = _scrub(value)
        except (ValueError, RecursionError):
            raise ValueError(f"not valid JSON: {err}") from None
        return value, note or NOTE_REPLACED


def _scrub(value: Any) -> Any:
    """Replace lone surrogates (from escapes like \\ud800) so the record can be stored as JSON."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8") if _SURROGATE.search(value) else value
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value


# --- CSV ----------------------------------------------------------------------------------


def sniff_delimiter(sample: str) -> str:
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _decoded_lines(path: Path, encoding: str, state: dict[str, Any]) -> Iterator[str]:
    """Lines of a CSV decoded one by one, so each row knows its offset and repairs."""
    with open(path, "rb") as f:
        head = f.read(4)
        f.seek(0)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            yield from _utf16_lines(f, state)
            return
        for number, line in enumerate(f):
            state["offset"] += len(line)
            if number == 0 and line.startswith(codecs.BOM_UTF8):
                line = line[3:]
            text, note = decode_bytes(line, encoding)
            if "\x00" in text:
                text, note = text.replace("\x00", ""), note or NOTE_REPLACED
            if note:
                state["notes"].append(note)
            yield text


def _utf16_lines(f: BinaryIO, state: dict[str, Any]) -> Iterator[str]:
    wrapper = io.TextIOWrapper(f, encoding="utf-16", errors="replace", newline="")
    for text in wrapper:
        state["offset"] += len(text.encode("utf-16-le"))
        yield text


def iter_csv(path: Path, options: dict[str, Any] | None = None) -> Iterator[tuple[int, int, Any, str | None]]:
    """(row number, byte offset, dict row or csv.Error, note) for every data row, streaming.

    Row number counts data rows from 1 (the header is row 0); a broken row gives its error.
    """
    options = options or {}
    encoding = options.get("encoding", "utf-8")
    with open(path, "rb") as f:
        sample = f.read(65536).decode(encoding, "replace").lstrip("\ufeff")
    delimiter = options.get("delimiter") or sniff_delimiter(sample)
    state: dict[str, Any] = {"offset": 0, "notes": []}
    reader = csv.reader(_decoded_lines(path, encoding, state), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as err:
        yield 1, 0, err, None
        return
    number = 0
    while True:
        start, before = state["offset"], len(state["notes"])
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            number += 1
            yield number, start, err, None
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        number += 1
        record = dict(zip(header, row))
        if len(row) > len(header):
            record["__extra__"] = row[len(header):]
        notes = state["notes"][before:]
        state["notes"].clear()
        yield number, start, record, notes[-1] if notes else None


def csv_header(sample_text: str) -> list[str]:
    """Column names of a CSV from its head (first logical row)."""
    delimiter = sniff_delimiter(sample_text)
    try:
        row = next(csv.reader(io.StringIO(sample_text), delimiter=delimiter))
    except (StopIteration, csv.Error):
        return []
    return [h.strip().lstrip("\ufeff") for h in row]


Builder = Callable[[Any, Location], "Parsed | Reject"]


# --- guarding -----------------------------------------------------------------------------


def guarded(where: Location, record: Any, build: Builder) -> Parsed | Reject:
    """Map one record; any error in a hostile record becomes a Reject instead of an exception."""
    try:
        return build(record, where)
    except RecursionError:
        return Reject(where, "record nested too deeply", raw_text(record))
    except Exception as err:  # noqa: BLE001 - one bad record must never stop a file
        return Reject(where, f"cannot map record: {type(err).__name__}: {err}"[:500], raw_text(record))


def read_jsonl(path: Path, build: Builder) -> Iterator[Parsed | Reject]:
    """One Parsed or Reject per non-blank line; a malformed line is rejected and reading goes on."""
    for number, offset, line in iter_lines(path):
        where = Location(str(path), number, offset)
        try:
            record, note = loads_line(line)
        except (ValueError, RecursionError) as err:
            yield Reject(where, str(err)[:500], raw_text(line))
            continue
        parsed = guarded(where, record, build)
        yield add_note(parsed, note) if note else parsed


def read_json_items(
    path: Path, build: Builder, keys: Iterable[str] = (), skip_to: int = 0, wrap: bool = False
) -> Iterator[Parsed | Reject]:
    """One Parsed or Reject per record of a streamed JSON document; record n is the n-th item.

    With `wrap`, a record under a key is passed as {key: [item]} (or {key: value}).
    """
    number = 0
    for key, in_array, offset, value, error, note in iter_json_items(path, keys, skip_to):
        number += 1
        where = Location(str(path), number, offset)
        if error is not None:
            yield Reject(where, error, raw_text(value))
            continue
        if wrap and key is not None:
            value = {key: [value] if in_array else value}
        parsed = guarded(where, value, build)
        yield add_note(parsed, note) if note else parsed


def add_note(parsed: Parsed | Reject, note: str) -> Parsed | Reject:
    if isinstance(parsed, Parsed):
        for post in parsed.posts:
            post.unmapped.append(note)
    return parsed
