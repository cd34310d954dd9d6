"""DIPROMATS 2023 JSON: an array of diplomats' tweets with propaganda labels (platform x)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from envoywatch.domain import AccountRef, Location, Parsed, Post, Reject
from envoywatch.sources._util import (
    clean_text,
    first_array_item,
    opt_str,
    parse_time,
    raw_text,
    read_json_items,
    to_int,
    unmapped_keys,
)
from envoywatch.sources.base import Sample, Source, source

KINDS = {"tweet": "original", "reply": "reply", "retweet": "repost", "quoted": "quote"}
MAPPED = {"user_name", "tweet_id", "UTC", "language", "text", "tweet_type", "rts&fav"}


@source
class DipromatsSource(Source):
    name = "dipromats"
    description = "DIPROMATS 2023 JSON (array of labelled diplomats' tweets)"

    def detect(self, sample: Sample) -> float:
        if b"DIPROMATS" not in sample.head[:4096] or not sample.head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"["):
            return 0.0
        item = first_array_item(sample.head)
        if isinstance(item, dict) and "test_case" in item:
            return 0.97
        return 0.6

    def read(self, path: Path, options: dict[str, str] | None = None) -> Iterator[Parsed | Reject]:
        return read_json_items(Path(path), map_item)


def map_item(item: Any, where: Location) -> Parsed | Reject:
    if not isinstance(item, dict):
        return Reject(where, "DIPROMATS item is not an object", raw_text(item))
    tweet_id, handle = opt_str(item.get("tweet_id")), opt_str(item.get("user_name"))
    if tweet_id is None or handle is None:
        return Reject(where, "DIPROMATS item without tweet_id or user_name (unlabelled test split?)",
                      raw_text(item))
    notes: list[str] = []
    kind = KINDS.get(str(item.get("tweet_type", "")).strip().lower(), "original")
    post = Post(
        platform="x",
        platform_id=tweet_id,
        author=AccountRef("x", handle=handle.lstrip("@")),
        text=clean_text(item.get("text"), notes),
        created_at=parse_time(item.get("UTC")),
        lang=opt_str(item.get("language")),
        kind=kind,
        url=f"https://x.com/{handle.lstrip('@')}/status/{tweet_id}",
        metrics={"retweets_and_likes": v} if (v := to_int(item.get("rts&fav"))) is not None else {},
        raw=item,
    )
    post.unmapped = unmapped_keys(item, MAPPED) + notes
    return Parsed(where=where, posts=[post])
