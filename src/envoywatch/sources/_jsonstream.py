"""Split a big JSON document into its records without loading it: each item is parsed alone.

The scanner only counts brackets outside strings (a regular expression skips strings and
plain bytes in C), so its cost grows with the file, not with the length of any one string
(yajl, behind ijson, rescans a string that spans read chunks: a 10 MB field took minutes).
Each record is then parsed by orjson on its own, so one broken record is one reject and the
next record is read as usual.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20  # read size; tests lower it to see memory stay flat on small files
MAX_ITEM = 256 * 1024 * 1024  # one record larger than this is a broken file, not a record

# plain bytes and strings without escapes; a string with escapes stops it at its quote
_SKIP = re.compile(rb'(?:[^"{}\[\]]+|"[^"\\]*")*')
_SPACE = re.compile(rb"[\s,]*")
_BARE = re.compile(rb"[^,\]\}\s]+")
OPEN, QUOTE, COLON, BACKSLASH = b"{[", 0x22, 0x3A, 0x5C


def string_end(data: bytes, start: int) -> int | None:
    """End (after the closing quote) of the string whose quote is at `start`; None if cut off."""
    pos = start + 1
    while True:
        quote = data.find(b'"', pos)
        if quote < 0:
            return None
        back = quote - 1
        while data[back] == BACKSLASH:
            back -= 1
        if (quote - 1 - back) % 2 == 0:
            return quote + 1
        pos = quote + 1

# (key or None, is an array item, byte offset, record bytes or None, error or None)
Piece = tuple[str | None, bool, int, bytes | None, str | None]


class Buffer:
    """A growing window on the file; bytes before a finished record are dropped."""

    def __init__(self, f: BinaryIO, base: int) -> None:
        self.f = f
        self.base = base
        self.data = b""
        self.eof = False

    def more(self) -> bool:
        """Append the next chunk (doubling with the window, so long records cost linear time)."""
        if self.eof:
            return False
        chunk = self.f.read(max(CHUNK, len(self.data)))
        if not chunk:
            self.eof = True
            return False
        self.data += chunk
        return True

    def drop(self, pos: int) -> int:
        """Forget the bytes before `pos`; returns where `pos` now is (compacting only when
        at least half the window is spent, so copying stays linear in the file)."""
        if pos < CHUNK // 2 or pos < len(self.data) // 2:
            return pos
        self.data = self.data[pos:]
        self.base += pos
        return 0

    def space(self, pos: int) -> int:
        """Position of the next byte that is not whitespace or a comma (reading on as needed)."""
        while True:
            pos = _SPACE.match(self.data, pos).end()
            if pos < len(self.data) or not self.more():
                return pos

    def byte(self, pos: int) -> int | None:
        return self.data[pos] if pos < len(self.data) else None

    def end_of_value(self, start: int) -> tuple[int | None, str | None]:
        """End of the object or array starting at `start`, or (None, why) if it never closes."""
        depth, pos = 0, start
        skip, data, size = _SKIP.match, self.data, len(self.data)
        while True:
            pos = skip(data, pos).end()
            char = data[pos] if pos < size else None
            if char == QUOTE:
                end = string_end(data, pos)
                if end is not None:
                    pos = end
                    continue
            if char is None or char == QUOTE:
                if pos - start > MAX_ITEM:
                    return None, f"record larger than {MAX_ITEM // 2**20} MB or never closed"
                if not self.more():
                    return None, "file ends inside this record (truncated)"
                data, size = self.data, len(self.data)
                continue
            depth += 1 if char in OPEN else -1
            pos += 1
            if depth == 0:
                return pos, None

    def scalar_end(self, pos: int) -> int | None:
        """End of the string, number or literal at `pos` (reading on as needed)."""
        while True:
            if self.data[pos] == QUOTE:
                end = string_end(self.data, pos)
            else:
                match = _BARE.match(self.data, pos)
                end = match.end() if match and match.end() < len(self.data) else None
            if end is not None:
                return end
            if not self.more():
                match = _BARE.match(self.data, pos)
                return match.end() if match and self.data[pos] != QUOTE else None


def iter_json_pieces(path: Path, keys: frozenset[str] = frozenset(), skip_to: int = 0) -> Iterator[Piece]:
    """Records of a JSON document: items of a root array, or of the arrays (or objects) under `keys`."""
    with open(path, "rb") as f:
        f.seek(skip_to)
        buf = Buffer(f, skip_to)
        buf.more()
        if buf.base == 0 and buf.data.startswith(b"\xef\xbb\xbf"):
            buf.data, buf.base = buf.data[3:], 3
        pos = buf.space(0)
        first = buf.byte(pos)
        if first == ord("["):
            yield from _array(buf, pos + 1, None)
        elif first == ord("{") and keys:
            yield from _members(buf, pos + 1, keys)


def _array(buf: Buffer, pos: int, key: str | None) -> Generator[Piece, None, int | None]:
    """Items of the array whose "[" precedes `pos`; returns the position after its "]"."""
    while True:
        pos = buf.space(pos)
        char = buf.byte(pos)
        if char is None:
            yield key, True, buf.base + pos, None, "file ends inside the array (truncated)"
            return None
        if char == ord("]"):
            return buf.drop(pos + 1)
        if char in OPEN:
            end, error = buf.end_of_value(pos)
        else:
            end = buf.scalar_end(pos)
            error = None if end is not None else "file ends inside a value (truncated)"
        if end is None:
            yield key, True, buf.base + pos, buf.data[pos:pos + 2000], error
            return None
        yield key, True, buf.base + pos, buf.data[pos:end], None
        pos = buf.drop(end)


def _members(buf: Buffer, pos: int, keys: frozenset[str]) -> Iterator[Piece]:
    """Members of the root object: wanted keys give records, other values are skipped."""
    while True:
        pos = buf.space(pos)
        char = buf.byte(pos)
        if char is None or char == ord("}"):
            return
        key_end = buf.scalar_end(pos) if char == QUOTE else None
        if key_end is None:
            return
        key = buf.data[pos + 1:key_end - 1].decode("utf-8", "replace")
        pos = buf.space(key_end)
        if buf.byte(pos) != COLON:
            return
        pos = buf.space(pos + 1)
        char = buf.byte(pos)
        if char is None:
            return
        if key in keys and char == ord("["):
            after = yield from _array(buf, pos + 1, key)
            if after is None:
                return
            pos = after
            continue
        if char in OPEN:
            end, error = buf.end_of_value(pos)
            if end is None:
                if key in keys:
                    yield key, False, buf.base + pos, buf.data[pos:pos + 2000], error
                return
            if key in keys:
                yield key, False, buf.base + pos, buf.data[pos:end], None
        else:
            scalar_end = buf.scalar_end(pos)
            if scalar_end is None:
                return
            end = scalar_end
        pos = buf.drop(end)
