"""The source contract: detect a format from a file's first bytes, then stream its records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from envoywatch.domain import Parsed, Reject
from envoywatch.plugins import Registry

if TYPE_CHECKING:
    from envoywatch.store.writer import RowBuilder

SAMPLE_BYTES = 65_536
FIRST_LINE_MAX = 16 * 1024 * 1024  # a JSON Lines page can be long; read its first line whole


@dataclass(slots=True)
class Sample:
    """The start of a file, for detection: raw bytes and the text decoded leniently."""

    path: Path
    head: bytes

    @property
    def text(self) -> str:
        return self.head.decode("utf-8-sig", errors="replace")

    @property
    def first_line(self) -> str:
        return self.text.lstrip().split("\n", 1)[0]


class Source:
    """Base for an importer. `detect` returns a confidence in 0..1; `read` streams records.

    `read` must stream (never load the whole file), yield a `Reject` with a reason for each
    bad record and go on, and number records so that an interrupted ingest can skip the
    first N records it already stored.

    An importer may also offer the optional fast path described by `RowSource`; the ingest uses
    it when present, and `read` stays the contract every other caller relies on.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""

    def detect(self, sample: Sample) -> float:
        return 0.0

    def read(self, path: Path, options: dict[str, str] | None = None) -> Iterator[Parsed | Reject]:
        raise NotImplementedError


@runtime_checkable
class RowSource(Protocol):
    """Optional fast path of an importer: records straight to the writer's rows, no `Post` objects.

    `read_rows(path, options, builder, skip)` reads the same records as `read`, in the same order,
    skips the first `skip` records (an interrupted ingest resumes there), and for each later record
    appends its rows, accounts, media and rejects to `builder` (a `store.writer.RowBuilder`,
    through `slot`, `extra`, `add_post` or `add`), then yields (posts and rejects it added, byte
    offset of the record). The rows must be exactly those `builder.add` makes from what `read`
    yields (`tests/test_ingest_rows.py` checks the twarc2 importer); a record it cannot finish is
    undone with `builder.mark`/`rollback` and mapped as `read` maps it. The ingest looks the
    method up by name (`getattr(source, "read_rows", None)`), so importers without it are unchanged.
    """

    def read_rows(self, path: Path, options: dict[str, str] | None, builder: RowBuilder,
                  skip: int = 0) -> Iterator[tuple[int, int | None]]: ...


SOURCES: Registry[type[Source]] = Registry("source")


def source(cls: type[Source]) -> type[Source]:
    """Class decorator that registers an importer under its `name`."""
    SOURCES.add(cls.name, cls)
    return cls


class UnknownFormat(ValueError):
    """The file matches no known format."""


def read_sample(path: Path) -> Sample:
    """The first 64 KiB, extended to the end of the first line when that line is longer."""
    with open(path, "rb") as f:
        head = f.read(SAMPLE_BYTES)
        if len(head) == SAMPLE_BYTES and b"\n" not in head.lstrip():
            rest = f.readline(FIRST_LINE_MAX - SAMPLE_BYTES)
            head += rest
    return Sample(path=path, head=head)


def detect_format(path: Path) -> str:
    """Name of the source that best recognises the file, or UnknownFormat."""
    from envoywatch.sources import load_builtins

    load_builtins()
    sample = read_sample(path)
    scored = sorted(((cls().detect(sample), cls.name) for cls in SOURCES), reverse=True)
    if not scored or scored[0][0] <= 0:
        known = ", ".join(SOURCES.names())
        raise UnknownFormat(
            f"{path}: not a format envoywatch knows ({known}); "
            "for other CSV or JSONL files use --format generic --map text=COLUMN,..."
        )
    return scored[0][1]
