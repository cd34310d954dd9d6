"""Mastodon Status entities: an array (timeline), JSON Lines, one status, or a context response.

Status ids are those of the instance the data came from; `in_reply_to_id` uses the same ids.
Handles are made global (`user@instance`) from the account URL when the API gave a local acct.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from envoywatch.domain import AccountRef, Location, Media, Parsed, Post, Reject
from envoywatch.sources._util import (
    as_dict,
    as_list,
    clean_text,
    first_array_item,
    first_json_object,
    guarded,
    json_head,
    loads_line,
    opt_str,
    parse_time,
    raw_text,
    read_json_items,
    read_jsonl,
    to_int,
    unmapped_keys,
)
from envoywatch.sources.base import Sample, Source, source

STATUS_FIELDS = {
    "id", "uri", "url", "created_at", "edited_at", "content", "account", "in_reply_to_id",
    "in_reply_to_account_id", "reblog", "media_attachments", "language", "mentions", "tags",
    "replies_count", "reblogs_count", "favourites_count", "quotes_count", "quote",
}
MEDIA_TYPES = {"image": "photo", "video": "video", "gifv": "animated_gif", "audio": "document"}
BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)


def is_status(item: Any) -> bool:
    return isinstance(item, dict) and "content" in item and isinstance(item.get("account"), dict) \
        and "id" in item and ("uri" in item or "visibility" in item or "created_at" in item)


@source
class MastodonSource(Source):
    name = "mastodon"
    description = "Mastodon Status entities (array, JSON Lines, single status or context)"

    def detect(self, sample: Sample) -> float:
        first = first_json_object(sample.head)
        if is_status(first):
            return 0.9
        _, keys, root = json_head(sample.head)
        if root == "array":
            return 0.9 if is_status(first_array_item(sample.head)) else 0.0
        if root == "object" and ("ancestors" in keys and "descendants" in keys):
            return 0.9
        if root == "object" and {"content", "account", "id"} <= set(keys):
            return 0.8
        return 0.0

    def read(self, path: Path, options: dict[str, str] | None = None) -> Iterator[Parsed | Reject]:
        path = Path(path)
        with open(path, "rb") as f:
            head = f.read(65536)
        if isinstance(first_json_object(head), dict):
            return read_jsonl(path, map_status_record)
        _, keys, root = json_head(head)
        if root == "array" or "ancestors" in keys or "descendants" in keys:
            return read_json_items(path, map_status_record, keys=("ancestors", "descendants"))
        return iter([single_status(path)])


def single_status(path: Path) -> Parsed | Reject:
    """A file holding one Status object (bounded: an API response for one post)."""
    where = Location(str(path), 1, 0)
    if path.stat().st_size > 64 * 1024 * 1024:
        return Reject(where, "a single JSON object larger than 64 MB is not a Mastodon status", "")
    data = path.read_bytes()
    try:
        status, _ = loads_line(data)
    except (ValueError, RecursionError) as err:
        return Reject(where, str(err)[:500], raw_text(data))
    return guarded(where, status, map_status_record)


def html_to_text(html: str) -> str:
    """Plain text of Mastodon's sanitized HTML: paragraphs and <br> become newlines."""
    if "<" not in html and "&" not in html:
        return html
    tree = HTMLParser(BREAKS.sub("\n", html))
    tree.strip_tags(["script", "style"])
    return (tree.body.text(separator="") if tree.body else tree.text(separator="")).strip()


def account_ref(account: dict[str, Any]) -> AccountRef:
    acct = opt_str(account.get("acct"))
    host = urlparse(str(account.get("url") or "")).hostname
    if acct and "@" not in acct and host:
        acct = f"{acct}@{host}"
    return AccountRef("mastodon", handle=acct, platform_id=opt_str(account.get("id")),
                      display_name=opt_str(account.get("display_name")))


def map_status_record(status: Any, where: Location) -> Parsed | Reject:
    if not is_status(status):
        return Reject(where, "not a Mastodon Status (needs id, content, account)", raw_text(status))
    parsed = Parsed(where=where)
    post = map_status(status)
    reblog = status.get("reblog")
    if is_status(reblog):
        post.kind, post.reposted_id, post.text = "repost", str(reblog["id"]), ""
        parsed.posts.append(post)
        parsed.posts.append(map_status(reblog))
    else:
        parsed.posts.append(post)
    return parsed


def map_status(status: dict[str, Any]) -> Post:
    notes: list[str] = []
    mentions = [as_dict(m) for m in as_list(status.get("mentions"))]
    reply_account = opt_str(status.get("in_reply_to_account_id"))
    quoted = as_dict(as_dict(status.get("quote")).get("quoted_status"))
    post = Post(
        platform="mastodon",
        platform_id=str(status["id"]),
        author=account_ref(as_dict(status.get("account"))),
        text=clean_text(html_to_text(clean_text(status.get("content"))), notes),
        created_at=parse_time(status.get("created_at")),
        edited_at=parse_time(status.get("edited_at")),
        lang=opt_str(status.get("language")),
        in_reply_to=opt_str(status.get("in_reply_to_id")),
        in_reply_to_handle=next((opt_str(m.get("acct")) for m in mentions
                                 if reply_account and opt_str(m.get("id")) == reply_account), None),
        quoted_id=opt_str(quoted.get("id")),
        url=opt_str(status.get("url")) or opt_str(status.get("uri")),
        metrics={k: v for k in ("replies_count", "reblogs_count", "favourites_count", "quotes_count")
                 if (v := to_int(status.get(k))) is not None},
        media=[Media(MEDIA_TYPES.get(str(m.get("type")), "document"), opt_str(m.get("url")))
               for m in map(as_dict, as_list(status.get("media_attachments")))],
        mentions=[a for m in mentions if (a := opt_str(m.get("acct")))],
        hashtags=[n for t in as_list(status.get("tags")) if (n := opt_str(as_dict(t).get("name")))],
        raw=status,
    )
    post.kind = "reply" if post.in_reply_to else "quote" if post.quoted_id else "original"
    empty = (None, "", [], {}, False)
    post.unmapped = [k for k in unmapped_keys(status, STATUS_FIELDS) if status[k] not in empty] + notes
    return post
