"""Zeeschuimer / 4CAT NDJSON: one captured item per line, `data` holding the platform's own item.

Mapped: X/Twitter GraphQL tweets, Instagram posts (web API and GraphQL shapes), and
Telegram messages as 4CAT stores them (Telethon dicts). Other platforms are rejected per line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from envoywatch.domain import AccountRef, Location, Media, Parsed, Post, Reject
from envoywatch.sources._util import (
    as_dict,
    as_list,
    clean_text,
    dig,
    first_json_object,
    opt_str,
    parse_time,
    raw_text,
    read_jsonl,
    to_int,
    unmapped_keys,
)
from envoywatch.sources.base import Sample, Source, source

PLATFORMS = {"twitter.com": "x", "x.com": "x", "twitter": "x", "instagram.com": "instagram",
             "instagram": "instagram", "telegram": "telegram", "t.me": "telegram",
             "web.telegram.org": "telegram"}
TWEET_MAPPED = {"rest_id", "legacy", "core", "note_tweet", "views", "__typename",
                "quoted_status_result"}
LEGACY_MAPPED = {"full_text", "created_at", "lang", "in_reply_to_status_id_str",
                 "in_reply_to_screen_name", "conversation_id_str", "quoted_status_id_str",
                 "retweeted_status_result", "entities", "extended_entities", "favorite_count",
                 "retweet_count", "reply_count", "quote_count", "bookmark_count", "id_str"}
X_MEDIA = {"photo": "photo", "video": "video", "animated_gif": "animated_gif"}


def is_capture(record: Any) -> bool:
    return isinstance(record, dict) and "source_platform" in record and "data" in record


@source
class ZeeschuimerSource(Source):
    name = "zeeschuimer"
    description = "Zeeschuimer / 4CAT NDJSON captures (X, Instagram, Telegram items)"

    def detect(self, sample: Sample) -> float:
        record = first_json_object(sample.head)
        if is_capture(record):
            return 0.97 if "item_id" in record or "timestamp_collected" in record else 0.8
        return 0.0

    def read(self, path: Path, options: dict[str, str] | None = None) -> Iterator[Parsed | Reject]:
        return read_jsonl(Path(path), map_capture)


def map_capture(record: Any, where: Location) -> Parsed | Reject:
    if not is_capture(record) or not isinstance(record.get("data"), dict):
        return Reject(where, "not a Zeeschuimer item (needs source_platform and data)", raw_text(record))
    label = str(record.get("source_platform", "")).lower().removeprefix("www.")
    platform = PLATFORMS.get(label)
    data = record["data"]
    posts: list[Post] | None = None
    if platform == "x":
        posts = map_tweet(data)
    elif platform == "instagram":
        posts = map_instagram(data)
    elif platform == "telegram":
        posts = map_telethon(data)
    if platform is None:
        return Reject(where, f"platform {label!r} is not supported (x, instagram, telegram)",
                      raw_text(record))
    if not posts:
        return Reject(where, f"{label} item has no recognisable post (id and text)", raw_text(record))
    for post in posts:
        post.unmapped.append("note: captured " + str(record.get("timestamp_collected", "?")))
    return Parsed(where=where, posts=posts)


def map_tweet(data: dict[str, Any]) -> list[Post]:
    """A GraphQL Tweet; a retweet yields the repost and the original."""
    tweet = as_dict(data.get("tweet")) if data.get("__typename") == "TweetWithVisibilityResults" else data
    legacy = as_dict(tweet.get("legacy"))
    tweet_id = opt_str(tweet.get("rest_id")) or opt_str(legacy.get("id_str")) or opt_str(tweet.get("id"))
    if tweet_id is None or not legacy:
        return []
    user = as_dict(dig(tweet, "core", "user_results", "result"))
    handle = opt_str(dig(user, "core", "screen_name")) or opt_str(dig(user, "legacy", "screen_name"))
    notes: list[str] = []
    post = Post(
        platform="x", platform_id=tweet_id,
        author=AccountRef("x", handle=handle, platform_id=opt_str(user.get("rest_id")),
                          display_name=opt_str(dig(user, "core", "name")) or opt_str(dig(user, "legacy", "name"))),
        text=clean_text(dig(tweet, "note_tweet", "note_tweet_results", "result", "text")
                        or legacy.get("full_text"), notes),
        created_at=parse_time(legacy.get("created_at")), lang=opt_str(legacy.get("lang")),
        in_reply_to=opt_str(legacy.get("in_reply_to_status_id_str")),
        in_reply_to_handle=opt_str(legacy.get("in_reply_to_screen_name")),
        conversation_id=opt_str(legacy.get("conversation_id_str")),
        quoted_id=opt_str(legacy.get("quoted_status_id_str")),
        url=f"https://x.com/{handle or 'i/web'}/status/{tweet_id}",
        metrics={k: v for k in ("favorite_count", "retweet_count", "reply_count", "quote_count",
                                "bookmark_count") if (v := to_int(legacy.get(k))) is not None},
        media=[Media(X_MEDIA.get(str(m.get("type")), "photo"), opt_str(m.get("media_url_https")))
               for m in map(as_dict, as_list(dig(legacy, "extended_entities", "media")))],
        mentions=[s for m in as_list(dig(legacy, "entities", "user_mentions"))
                  if (s := opt_str(as_dict(m).get("screen_name")))],
        hashtags=[s for h in as_list(dig(legacy, "entities", "hashtags"))
                  if (s := opt_str(as_dict(h).get("text")))],
        raw=data,
    )
    if (views := to_int(dig(tweet, "views", "count"))) is not None:
        post.metrics["views"] = views
    post.unmapped = unmapped_keys(tweet, TWEET_MAPPED) + [
        f"legacy.{k}" for k in unmapped_keys(legacy, LEGACY_MAPPED)] + notes
    original = map_tweet(as_dict(dig(legacy, "retweeted_status_result", "result")))
    if original:
        post.kind, post.reposted_id = "repost", original[0].platform_id
        return [post, *original]
    post.kind = "reply" if post.in_reply_to else "quote" if post.quoted_id else "original"
    return [post]


def map_instagram(data: dict[str, Any]) -> list[Post]:
    """An Instagram post from the web API (code, caption, user) or GraphQL (shortcode, owner)."""
    code = opt_str(data.get("code")) or opt_str(data.get("shortcode"))
    post_id = opt_str(data.get("id")) or opt_str(data.get("pk"))
    if not (code or post_id):
        return []
    user = as_dict(data.get("user")) or as_dict(data.get("owner"))
    caption = dig(data, "caption", "text") or dig(data, "edge_media_to_caption", "edges", 0, "node", "text")
    notes: list[str] = []
    post = Post(
        platform="instagram", platform_id=str(code or post_id),
        author=AccountRef("instagram", handle=opt_str(user.get("username")),
                          platform_id=opt_str(user.get("pk")) or opt_str(user.get("id")),
                          display_name=opt_str(user.get("full_name"))),
        text=clean_text(caption, notes),
        created_at=parse_time(data.get("taken_at") or data.get("taken_at_timestamp")),
        url=f"https://www.instagram.com/p/{code}/" if code else None,
        metrics={k: v for k, v in (
            ("likes", to_int(data.get("like_count")) or to_int(dig(data, "edge_media_preview_like", "count"))),
            ("comments", to_int(data.get("comment_count")) or to_int(dig(data, "edge_media_to_comment", "count"))),
        ) if v is not None},
        media=instagram_media(data),
        raw=data,
    )
    post.unmapped = notes
    return [post]


def instagram_media(data: dict[str, Any]) -> list[Media]:
    items = as_list(data.get("carousel_media")) or [data]
    media = []
    for item in map(as_dict, items):
        video = opt_str(dig(item, "video_versions", 0, "url")) or opt_str(item.get("video_url"))
        image = opt_str(dig(item, "image_versions2", "candidates", 0, "url")) or opt_str(item.get("display_url"))
        if video or item.get("media_type") == 2 or item.get("is_video"):
            media.append(Media("video", video or image))
        elif image:
            media.append(Media("photo", image))
    return media


def map_telethon(data: dict[str, Any]) -> list[Post]:
    """A Telegram message as 4CAT stores it (Telethon to_dict, with `_chat`)."""
    msg_id = opt_str(data.get("id"))
    chat = as_dict(data.get("_chat"))
    channel = opt_str(chat.get("username")) or opt_str(dig(data, "peer_id", "channel_id")) \
        or opt_str(chat.get("id"))
    if msg_id is None or channel is None:
        return []
    reply_to = opt_str(dig(data, "reply_to", "reply_to_msg_id"))
    sender = opt_str(dig(data, "from_id", "user_id")) or opt_str(dig(data, "from_id", "channel_id"))
    notes: list[str] = []
    post = Post(
        platform="telegram", platform_id=f"{channel}/{msg_id}",
        author=AccountRef("telegram", handle=None if sender else opt_str(chat.get("username")),
                          platform_id=sender or opt_str(chat.get("id")),
                          display_name=None if sender else opt_str(chat.get("title"))),
        text=clean_text(data.get("message"), notes),
        created_at=parse_time(data.get("date")), edited_at=parse_time(data.get("edit_date")),
        in_reply_to=f"{channel}/{reply_to}" if reply_to else None,
        kind="reply" if reply_to else "repost" if data.get("fwd_from") else "original",
        url=f"https://t.me/{chat['username']}/{msg_id}" if opt_str(chat.get("username")) else None,
        metrics={k: v for k in ("views", "forwards") if (v := to_int(data.get(k))) is not None},
        raw=data,
    )
    post.unmapped = notes
    return [post]
