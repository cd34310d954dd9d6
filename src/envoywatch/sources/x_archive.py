"""X's own account archive: data/tweets.js (`window.YTD.tweets.part0 = [{"tweet": {...}}]`).

The archive's tweets do not name their author. The owner comes from option `account=HANDLE`
(and `account_id=ID`), else from `account.js` next to `tweets.js` in the unpacked archive;
without either, each tweet is rejected with a reason saying how to name the owner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from envoywatch.domain import AccountRef, Location, Media, Parsed, Post, Reject
from envoywatch.sources._util import (
    as_dict,
    as_list,
    clean_text,
    dig,
    first_array_item,
    iter_json_items,
    opt_str,
    parse_time,
    raw_text,
    read_json_items,
    to_int,
    unmapped_keys,
)
from envoywatch.sources.base import Sample, Source, source

YTD_PREFIX = re.compile(rb"^\s*window\.YTD\.[A-Za-z0-9_]+\.part\d+\s*=\s*", re.ASCII)
TWEET_FIELDS = {
    "id_str", "id", "full_text", "text", "created_at", "lang", "in_reply_to_status_id_str",
    "in_reply_to_status_id", "in_reply_to_screen_name", "in_reply_to_user_id_str",
    "in_reply_to_user_id", "entities", "extended_entities", "favorite_count", "retweet_count",
    "quoted_status_id_str", "quoted_status_id", "retweeted", "favorited", "truncated",
    "display_text_range",
}
MEDIA_TYPES = {"photo": "photo", "video": "video", "animated_gif": "animated_gif"}


def _strip_bom(head: bytes) -> bytes:
    return head[3:] if head.startswith(b"\xef\xbb\xbf") else head


def looks_like_archive_tweet(item: Any) -> bool:
    tweet = item.get("tweet", item) if isinstance(item, dict) else None
    return isinstance(tweet, dict) and "id_str" in tweet and ("full_text" in tweet or "text" in tweet)


@source
class XArchiveSource(Source):
    name = "x_archive"
    description = "X account archive tweets.js (window.YTD.tweets.part0 = [...])"

    def detect(self, sample: Sample) -> float:
        head = _strip_bom(sample.head)
        match = YTD_PREFIX.match(head)
        if match:
            return 0.97 if b"tweet" in head[: match.end()] else 0.0
        if head.lstrip().startswith(b"[") and looks_like_archive_tweet(first_array_item(head)):
            return 0.8
        return 0.0

    def read(self, path: Path, options: dict[str, str] | None = None) -> Iterator[Parsed | Reject]:
        path = Path(path)
        with open(path, "rb") as f:
            head = f.read(4096)
        skip = len(head) - len(_strip_bom(head))
        match = YTD_PREFIX.match(head[skip:])
        owner = archive_owner(path, options or {})
        build = partial(map_item, owner=owner)
        return read_json_items(path, build, skip_to=skip + (match.end() if match else 0))


def archive_owner(path: Path, options: dict[str, str]) -> AccountRef | None:
    """The archive owner: from options, else from the archive's account.js beside tweets.js."""
    handle = opt_str(options.get("account"))
    account_id = opt_str(options.get("account_id"))
    if handle or account_id:
        return AccountRef("x", handle=handle.lstrip("@") if handle else None, platform_id=account_id)
    account_js = path.with_name("account.js")
    if not account_js.is_file() or account_js.stat().st_size > 1_000_000:
        return None
    for item in _items(account_js):
        account = as_dict(as_dict(item).get("account"))
        if account.get("username") or account.get("accountId"):
            return AccountRef(
                "x",
                handle=opt_str(account.get("username")),
                platform_id=opt_str(account.get("accountId")),
                display_name=opt_str(account.get("accountDisplayName")),
            )
    return None


def _items(path: Path) -> Iterator[Any]:
    with open(path, "rb") as f:
        head = f.read(4096)
    match = YTD_PREFIX.match(_strip_bom(head))
    skip = len(head) - len(_strip_bom(head)) + (match.end() if match else 0)
    for _, _, _, value, _, _ in iter_json_items(path, (), skip):
        yield value


def map_item(item: Any, where: Location, owner: AccountRef | None) -> Parsed | Reject:
    tweet = item.get("tweet", item) if isinstance(item, dict) else None
    if not isinstance(tweet, dict) or opt_str(tweet.get("id_str") or tweet.get("id")) is None:
        return Reject(where, "archive item without tweet.id_str", raw_text(item))
    if owner is None:
        return Reject(
            where,
            "archive owner unknown: pass option account=HANDLE (--option account=HANDLE) "
            "or keep account.js next to tweets.js",
            raw_text(item),
        )
    return Parsed(where=where, posts=[map_tweet(tweet, owner)])


def map_tweet(tweet: dict[str, Any], owner: AccountRef) -> Post:
    notes: list[str] = []
    text = clean_text(tweet.get("full_text") or tweet.get("text"), notes)
    post_id = str(opt_str(tweet.get("id_str") or tweet.get("id")))
    post = Post(
        platform="x",
        platform_id=post_id,
        author=AccountRef("x", owner.handle, owner.platform_id, owner.display_name),
        text=text,
        created_at=parse_time(tweet.get("created_at")),
        lang=opt_str(tweet.get("lang")),
        in_reply_to=opt_str(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id")),
        in_reply_to_handle=opt_str(tweet.get("in_reply_to_screen_name")),
        quoted_id=opt_str(tweet.get("quoted_status_id_str") or tweet.get("quoted_status_id")),
        url=f"https://x.com/{owner.handle or 'i/web'}/status/{post_id}",
        metrics={k: v for k in ("favorite_count", "retweet_count")
                 if (v := to_int(tweet.get(k))) is not None},
        media=archive_media(tweet),
        mentions=[m["screen_name"] for m in as_list(dig(tweet, "entities", "user_mentions"))
                  if isinstance(m, dict) and isinstance(m.get("screen_name"), str)],
        hashtags=[h["text"] for h in as_list(dig(tweet, "entities", "hashtags"))
                  if isinstance(h, dict) and isinstance(h.get("text"), str)],
        raw=tweet,
    )
    if text.startswith("RT @"):
        post.kind = "repost"
    elif post.in_reply_to:
        post.kind = "reply"
    elif post.quoted_id:
        post.kind = "quote"
    post.unmapped = unmapped_keys(tweet, TWEET_FIELDS) + notes
    return post


def archive_media(tweet: dict[str, Any]) -> list[Media]:
    """Media from extended_entities (all items) or entities.media (first only)."""
    items = as_list(dig(tweet, "extended_entities", "media")) or as_list(dig(tweet, "entities", "media"))
    media = []
    for item in items:
        if isinstance(item, dict):
            url = opt_str(item.get("media_url_https")) or opt_str(item.get("media_url"))
            media.append(Media(type=MEDIA_TYPES.get(str(item.get("type")), "photo"), url=url))
    return media
