"""Export posts with their annotations as CSV (spreadsheet-safe), JSON Lines or Parquet, streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from envoywatch.gcfreeze import long_lived_frozen
from envoywatch.queries import PostFilter, iter_posts
from envoywatch.store.db import Store

FORMATS = ("csv", "jsonl", "parquet")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
               "parquet": "application/vnd.apache.parquet"}
# Flat columns first; lists and objects are written as JSON text in CSV and Parquet.
COLUMNS = ("id", "platform", "platform_id", "account", "actor", "watched", "created_at", "kind", "lang",
           "text", "in_reply_to", "url", "has_media", "analysed", "targets", "propaganda", "propaganda_score",
           "undiplomatic", "techniques", "topics", "countries", "hostility", "hostile", "block_claim", "metrics")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: str) -> str:
    """Stop a spreadsheet from reading a cell as a formula (OWASP CSV injection): prefix a quote."""
    return "'" + value if value.startswith(FORMULA_START) else value


def flat_row(p: dict[str, Any]) -> dict[str, Any]:
    """One export row: scalar columns, with nested values as JSON text."""
    reply = p.get("reply") or {}
    row = {c: p.get(c) for c in COLUMNS}
    row["hostility"] = reply.get("hostility")
    row["hostile"] = reply.get("hostile")
    row["block_claim"] = p.get("block_claim", reply.get("block_claim"))
    for c in ("targets", "techniques", "topics", "countries", "metrics"):
        row[c] = orjson.dumps(p.get(c)).decode() if p.get(c) is not None else None
    return row


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """UTF-8 with BOM (so spreadsheets detect the encoding), every text cell formula-neutralised."""
    out.write("\ufeff")
    w = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    w.writeheader()
    n = 0
    for p in rows:
        row = flat_row(p)
        w.writerow({k: neutralise(v) if isinstance(v, str) else ("" if v is None else v) for k, v in row.items()})
        n += 1
    return n


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[bytes]) -> int:
    n = 0
    for p in rows:
        out.write(orjson.dumps(p, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n")
        n += 1
    return n


def _schema():
    import pyarrow as pa

    types = {"id": pa.int64(), "watched": pa.bool_(), "has_media": pa.bool_(), "analysed": pa.bool_(),
             "propaganda": pa.bool_(), "hostile": pa.bool_(), "block_claim": pa.bool_(),
             "propaganda_score": pa.float64(), "undiplomatic": pa.float64(), "hostility": pa.float64(),
             "created_at": pa.timestamp("us", tz="UTC")}
    return pa.schema([(c, types.get(c, pa.string())) for c in COLUMNS])


def write_parquet(rows: Iterator[dict[str, Any]], out: IO[bytes] | str, batch: int = 5000) -> int:
    """Parquet via pyarrow, written in row groups so memory stays flat."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from envoywatch.timeutil import as_utc

    schema, n, buf = _schema(), 0, []
    with pq.ParquetWriter(out, schema, compression="zstd") as w:
        def flush() -> None:
            cols = {c: [r[c] for r in buf] for c in COLUMNS}
            cols["created_at"] = [as_utc(v) if v else None for v in cols["created_at"]]
            for c in ("propaganda", "hostile", "block_claim"):
                cols[c] = [None if v is None else bool(v) for v in cols[c]]
            w.write_table(pa.table(cols, schema=schema))
            buf.clear()

        for p in rows:
            buf.append(flat_row(p))
            n += 1
            if len(buf) >= batch:
                flush()
        if buf or n == 0:
            flush()
    return n


def export_posts(store: Store, f: PostFilter, fmt: str, output: Path | None) -> int:
    """Write every post matching `f` to `output` (stdout when None); returns the row count."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    with long_lived_frozen():  # the rows made per post are collected; what lived before is not walked
        return _write(iter_posts(store, f), fmt, output)


def _write(rows: Iterator[dict[str, Any]], fmt: str, output: Path | None) -> int:
    import sys

    if fmt == "csv":
        if output is None:
            return write_csv(rows, io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="",
                                                    write_through=True))
        with open(output, "w", encoding="utf-8", newline="") as fh:
            return write_csv(rows, fh)
    if output is None:
        if fmt == "parquet":
            raise ValueError("parquet is binary: give --output FILE")
        return write_jsonl(rows, sys.stdout.buffer)
    if fmt == "parquet":
        return write_parquet(rows, str(output))
    with open(output, "wb") as fh:
        return write_jsonl(rows, fh)


def export_bytes(store: Store, f: PostFilter, fmt: str) -> bytes:
    """The export as bytes, for the dashboard's download links."""
    with long_lived_frozen():
        rows = iter_posts(store, f)
        if fmt == "csv":
            text = io.StringIO(newline="")
            write_csv(rows, text)
            return text.getvalue().encode("utf-8")
        buf = io.BytesIO()
        (write_parquet if fmt == "parquet" else write_jsonl)(rows, buf)
        return buf.getvalue()
