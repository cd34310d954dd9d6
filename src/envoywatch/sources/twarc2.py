"""X API v2 responses as twarc2 writes them: one page per line, or flattened tweets per line."""

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
    read_jsonl,
    unmapped_keys,
)
from envoywatch.sources.base import Sample, Source, source

TWEET_FIELDS = frozenset({
    "id", "text", "note_tweet", "author_id", "author", "created_at", "lang", "conversation_id",
    "referenced_tweets", "in_reply_to_user_id", "in_reply_to_user", "public_metrics",
    "attachments", "entities", "edit_history_tweet_ids", "__twarc",
})
KIND_BY_REF = {"retweeted": "repost", "replied_to": "reply", "quoted": "quote"}
MEDIA_TYPES = {"photo": "photo", "video": "video", "animated_gif": "animated_gif"}
REF_CACHE = 8192  # account refs remembered across pages (never mutated once built)
_REFS: dict[tuple[str | None, str | None, str | None], AccountRef] = {}


def is_page(record: dict[str, Any]) -> bool:
    return "data" in record and "source_platform" not in record and (
        "includes" in record or "__twarc" in record or "meta" in record
        or isinstance(record.get("data"), list)
    )


def is_flat_tweet(record: dict[str, Any]) -> bool:
    return "id" in record and "text" in record and (
        "author_id" in record or "author" in record or "edit_history_tweet_ids" in record
    )


@source
class Twarc2Source(Source):
    name = "twarc2"
    description = "X API v2 pages (twarc2 JSONL, with includes) and flattened tweets"

    def detect(self, sample: Sample) -> float:
        record = first_json_object(sample.head)
        if not isinstance(record, dict):
            return 0.0
        if is_page(record):
            return 0.95 if "__twarc" in record or "includes" in record else 0.6
        if is_flat_tweet(record) and "item_id" not in record:
            return 0.9 if "__twarc" in record or "author" in record else 0.7
        return 0.0

    def read(self, path: Path, options: dict[str, str] | None = None) -> Iterator[Parsed | Reject]:
        return read_jsonl(Path(path), map_record)


def map_record(record: Any, where: Location) -> Parsed | Reject:
    if not isinstance(record, dict):
        return Reject(where, "line is JSON but not an object (page or tweet)", str(record)[:2000])
    if is_page(record):
        return map_page(record, where)
    if is_flat_tweet(record):
        return map_flat(record, where)
    return Reject(where, "neither an X API v2 page (data/includes) nor a tweet (id/text)", "")


def map_page(page: dict[str, Any], where: Location) -> Parsed:
    """Tweets in data and includes.tweets become posts, each with its author from includes."""
    includes = as_dict(page.get("includes"))
    users = {str(u.get("id")): u for u in as_list(includes.get("users")) if isinstance(u, dict)}
    media = {str(m.get("media_key")): m for m in as_list(includes.get("media")) if isinstance(m, dict)}
    data = page.get("data")
    tweets = (data if isinstance(data, list) else [data]) + as_list(includes.get("tweets"))
    refs = {uid: cached_user_ref(u) for uid, u in users.items()}
    parsed = Parsed(where=where, accounts=list(refs.values()))
    seen: set[str] = set()
    for tweet in tweets:
        if not isinstance(tweet, dict) or opt_str(tweet.get("id")) is None:
            continue
        tid = str(tweet["id"])
        if tid in seen:
            continue
        seen.add(tid)
        author = refs.get(str(tweet.get("author_id")))
        reply_to = tweet.get("in_reply_to_user_id")
        reply_user = users.get(str(reply_to)) if reply_to is not None else None
        attachments = tweet.get("attachments")
        keys = as_list(attachments.get("media_keys")) if isinstance(attachments, dict) else ()
        tweet_media = [media[k] for k in keys if k in media]
        parsed.posts.append(map_tweet(tweet, author, reply_user, tweet_media))
    return parsed


def map_flat(tweet: dict[str, Any], where: Location) -> Parsed:
    """A flattened tweet: author, media and referenced tweets are embedded in it."""
    parsed = Parsed(where=where)
    media = [m for m in as_list(dig(tweet, "attachments", "media")) if isinstance(m, dict)]
    post = map_tweet(tweet, as_dict(tweet.get("author")) or None, tweet.get("in_reply_to_user"), media)
    parsed.posts.append(post)
    for ref in as_list(tweet.get("referenced_tweets")):
        if isinstance(ref, dict) and "text" in ref and opt_str(ref.get("id")):
            ref_media = [m for m in as_list(dig(ref, "attachments", "media")) if isinstance(m, dict)]
            ref_post = map_tweet(ref, as_dict(ref.get("author")) or None, None, ref_media)
            parsed.posts.append(ref_post)
    return parsed


def cached_user_ref(user: dict[str, Any]) -> AccountRef:
    """user_ref, remembered: the same accounts come back on page after page of one collection."""
    key = (user.get("id"), user.get("username"), user.get("name"))
    if not all(k is None or type(k) is str for k in key):  # odd values: map them afresh
        return user_ref(user)
    found = _REFS.get(key)
    if found is None:
        if len(_REFS) >= REF_CACHE:
            _REFS.clear()
        found = _REFS[key] = user_ref(user)
    return found


def user_ref(user: dict[str, Any] | None, author_id: Any = None) -> AccountRef:
    user = as_dict(user)
    return AccountRef(
        platform="x",
        handle=opt_str(user.get("username")),
        platform_id=opt_str(user.get("id")) or opt_str(author_id),
        display_name=opt_str(user.get("name")),
    )


def map_tweet(
    tweet: dict[str, Any], author: Any, reply_user: Any, media: list[dict[str, Any]]
) -> Post:
    notes: list[str] = []
    note_tweet = tweet.get("note_tweet")
    text = (note_tweet.get("text") if isinstance(note_tweet, dict) else None) or tweet.get("text")
    ref = author if isinstance(author, AccountRef) else user_ref(author, tweet.get("author_id"))
    entities = tweet.get("entities")
    if isinstance(entities, dict):
        mentions = [m["username"] for m in as_list(entities.get("mentions"))
                    if isinstance(m, dict) and isinstance(m.get("username"), str)]
        hashtags = [h["tag"] for h in as_list(entities.get("hashtags"))
                    if isinstance(h, dict) and isinstance(h.get("tag"), str)]
    else:
        mentions, hashtags = [], []
    post = Post(
        platform="x",
        platform_id=str(tweet["id"]),
        author=ref,
        text=clean_text(text, notes),
        created_at=parse_time(tweet.get("created_at")),
        lang=opt_str(tweet.get("lang")),
        conversation_id=opt_str(tweet.get("conversation_id")),
        metrics=as_dict(tweet.get("public_metrics")),
        media=[tweet_media(m) for m in media] if media else [],
        mentions=mentions,
        hashtags=hashtags,
        raw=tweet,
    )
    if "referenced_tweets" in tweet:
        apply_references(post, tweet)
    if isinstance(reply_user, dict):
        post.in_reply_to_handle = opt_str(reply_user.get("username"))
    post.url = f"https://x.com/{ref.handle or 'i/web'}/status/{post.platform_id}"
    post.unmapped = unmapped_keys(tweet, TWEET_FIELDS) + notes
    return post


def apply_references(post: Post, tweet: dict[str, Any]) -> None:
    """Kind and parent ids from referenced_tweets: a repost wins over a reply over a quote."""
    kinds = []
    for ref in as_list(tweet.get("referenced_tweets")):
        if not isinstance(ref, dict):
            continue
        ref_type, ref_id = ref.get("type"), opt_str(ref.get("id"))
        if ref_type == "replied_to":
            post.in_reply_to = ref_id
        elif ref_type == "quoted":
            post.quoted_id = ref_id
        elif ref_type == "retweeted":
            post.reposted_id = ref_id
        if ref_type in KIND_BY_REF:
            kinds.append(KIND_BY_REF[ref_type])
    for kind in ("repost", "reply", "quote"):
        if kind in kinds:
            post.kind = kind
            break


def tweet_media(media: dict[str, Any]) -> Media:
    """A media item: photos carry url, videos a preview or their best mp4 variant."""
    url = opt_str(media.get("url")) or opt_str(media.get("preview_image_url"))
    if url is None:
        variants = [v for v in as_list(media.get("variants")) if isinstance(v, dict)]
        variants.sort(key=lambda v: v.get("bit_rate") if isinstance(v.get("bit_rate"), int) else -1)
        url = opt_str(variants[-1].get("url")) if variants else None
    return Media(type=MEDIA_TYPES.get(str(media.get("type")), "document"), url=url)
