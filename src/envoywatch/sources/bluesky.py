"""Bluesky XRPC JSON: getAuthorFeed, getPostThread, getPosts/searchPosts, and listRecords (blocks).

A single response document is streamed item by item (`feed`, `posts`, `records`); a thread is
read whole (the API bounds its size) and yields one record with all its posts. A file of
responses, one per line, yields one record per line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from envoywatch.domain import AccountRef, Block, Location, Media, Parsed, Post, Reject
from envoywatch.sources._util import (
    as_dict,
    as_list,
    clean_text,
    dig,
    first_json_object,
    json_head,
    opt_str,
    parse_time,
    raw_text,
    read_json_items,
    read_jsonl,
    to_int,
    unmapped_keys,
)
from envoywatch.sources.base import Sample, Source, source

STREAMED_KEYS = ("feed", "posts", "records")
POST_VIEW_FIELDS = {"uri", "cid", "author", "record", "embed", "replyCount", "repostCount",
                    "likeCount", "quoteCount", "indexedAt", "$type"}
METRICS = ("replyCount", "repostCount", "likeCount", "quoteCount")


def response_kind(keys: list[str]) -> str | None:
    for key in ("thread", *STREAMED_KEYS):
        if key in keys:
            return key
    return None


@source
class BlueskySource(Source):
    name = "bluesky"
    description = "Bluesky getAuthorFeed / getPostThread / listRecords JSON (incl. block records)"

    def detect(self, sample: Sample) -> float:
        if b"at://" not in sample.head:
            return 0.0
        first = first_json_object(sample.head)
        if isinstance(first, dict):
            return 0.9 if response_kind(list(first)) else 0.0
        _, keys, root = json_head(sample.head)
        return 0.9 if root == "object" and response_kind(keys) else 0.0

    def read(self, path: Path, options: dict[str, str] | None = None) -> Iterator[Parsed | Reject]:
        path = Path(path)
        with open(path, "rb") as f:
            head = f.read(65536)
        if isinstance(first_json_object(head), dict):
            return read_jsonl(path, map_response)
        if response_kind(json_head(head)[1]) is None:
            return iter([Reject(Location(str(path), 1, 0), "no feed, thread, posts or records key", "")])
        return read_json_items(path, map_response, keys=("thread", *STREAMED_KEYS), wrap=True)


def map_response(response: Any, where: Location) -> Parsed | Reject:
    """Every post (and block) in one response or one streamed item of it."""
    if not isinstance(response, dict):
        return Reject(where, "not a Bluesky response object", raw_text(response))
    parsed = Parsed(where=where)
    for item in as_list(response.get("feed")):
        add_feed_item(parsed, as_dict(item))
    for view in as_list(response.get("posts")):
        add_post(parsed, as_dict(view))
    if isinstance(response.get("thread"), dict):
        add_thread(parsed, response["thread"])
    records = as_list(response.get("records"))
    for record in records:
        add_record(parsed, as_dict(record), where)
    if records and not (parsed.posts or parsed.blocks):
        kinds = sorted({str(dig(r, "value", "$type")) for r in records if isinstance(r, dict)})
        return Reject(where, f"record type not imported (only posts, reposts, blocks): {kinds}",
                      raw_text(response))
    if not (parsed.posts or parsed.blocks) and not any(k in response for k in ("feed", "posts", "thread", "records")):
        return Reject(where, "no feed, thread, posts or records in this response", raw_text(response))
    return parsed


def add_feed_item(parsed: Parsed, item: dict[str, Any]) -> None:
    """A feed item: the post, its reply parent/root when present, and a repost by `reason`."""
    post = add_post(parsed, as_dict(item.get("post")))
    reply = as_dict(item.get("reply"))
    for key in ("root", "parent"):
        add_post(parsed, as_dict(reply.get(key)))
    if post and not post.in_reply_to_handle:
        post.in_reply_to_handle = opt_str(dig(reply, "parent", "author", "handle"))
    reason = as_dict(item.get("reason"))
    if post and "reasonRepost" in str(reason.get("$type", "")):
        by = profile_ref(as_dict(reason.get("by")))
        repost_uri = opt_str(reason.get("uri")) or f"repost:{by.platform_id}:{post.platform_id}"
        parsed.posts.append(Post(
            platform="bluesky", platform_id=repost_uri, author=by, text="", kind="repost",
            reposted_id=post.platform_id, created_at=parse_time(reason.get("indexedAt")),
            raw=reason, url=post.url,
        ))


def add_thread(parsed: Parsed, root: dict[str, Any]) -> None:
    """A thread view: parents upward, the post, then replies depth first (iterative)."""
    parent = as_dict(root.get("parent"))
    depth = 0
    while parent and depth < 1000:
        add_post(parsed, as_dict(parent.get("post")))
        parent, depth = as_dict(parent.get("parent")), depth + 1
    stack = [(root, None)]
    while stack and len(parsed.posts) < 100_000:
        node, parent_handle = stack.pop()
        post = add_post(parsed, as_dict(node.get("post")))
        if post and parent_handle and not post.in_reply_to_handle:
            post.in_reply_to_handle = parent_handle
        handle = post.author.handle if post else None
        for reply in reversed(as_list(node.get("replies"))):
            if isinstance(reply, dict):
                stack.append((reply, handle))


def profile_ref(profile: dict[str, Any]) -> AccountRef:
    return AccountRef("bluesky", handle=opt_str(profile.get("handle")),
                      platform_id=opt_str(profile.get("did")),
                      display_name=opt_str(profile.get("displayName")))


def add_post(parsed: Parsed, view: dict[str, Any]) -> Post | None:
    """A PostView as a Post; not-found and blocked placeholders are skipped."""
    uri = opt_str(view.get("uri"))
    record = as_dict(view.get("record"))
    if uri is None or not record or "author" not in view:
        return None
    if any(p.platform_id == uri for p in parsed.posts):
        return None
    post = record_post(uri, record, profile_ref(as_dict(view.get("author"))))
    post.created_at = post.created_at or parse_time(view.get("indexedAt"))
    post.metrics = {k: v for k in METRICS if (v := to_int(view.get(k))) is not None}
    post.media = embed_media(as_dict(view.get("embed"))) or embed_media(as_dict(record.get("embed")))
    post.raw = view
    post.unmapped = unmapped_keys(view, POST_VIEW_FIELDS) + post.unmapped
    parsed.posts.append(post)
    return post


def record_post(uri: str, record: dict[str, Any], author: AccountRef) -> Post:
    """An app.bsky.feed.post record as a Post (used for views and for listRecords)."""
    notes: list[str] = []
    text = clean_text(record.get("text"), notes)
    parent = opt_str(dig(record, "reply", "parent", "uri"))
    root = opt_str(dig(record, "reply", "root", "uri"))
    embed = as_dict(record.get("embed"))
    quoted = opt_str(dig(embed, "record", "uri")) or opt_str(dig(embed, "record", "record", "uri"))
    post = Post(
        platform="bluesky", platform_id=uri, author=author, text=text,
        created_at=parse_time(record.get("createdAt")),
        lang=opt_str(as_list(record.get("langs"))[0]) if as_list(record.get("langs")) else None,
        in_reply_to=parent, conversation_id=root or uri, quoted_id=quoted,
        kind="reply" if parent else "quote" if quoted else "original",
        url=f"https://bsky.app/profile/{author.handle or author.platform_id}/post/{uri.rsplit('/', 1)[-1]}",
        mentions=facet_values(record, text, "mention"),
        hashtags=facet_values(record, text, "tag"),
    )
    post.unmapped = notes
    return post


def facet_values(record: dict[str, Any], text: str, kind: str) -> list[str]:
    """Mentioned handles (from the text span) or hashtags, from the record's facets."""
    found = []
    encoded = text.encode("utf-8")
    for facet in as_list(record.get("facets")):
        for feature in as_list(as_dict(facet).get("features")):
            feature = as_dict(feature)
            if not str(feature.get("$type", "")).endswith(f"#{kind}"):
                continue
            if kind == "tag" and isinstance(feature.get("tag"), str):
                found.append(feature["tag"])
            elif kind == "mention":
                index = as_dict(as_dict(facet).get("index"))
                start, end = to_int(index.get("byteStart")), to_int(index.get("byteEnd"))
                span = encoded[start:end].decode("utf-8", "replace") if start is not None else ""
                found.append(span.lstrip("@") or str(feature.get("did")))
    return found


def embed_media(embed: dict[str, Any]) -> list[Media]:
    kind = str(embed.get("$type", ""))
    if "recordWithMedia" in kind:
        return embed_media(as_dict(embed.get("media")))
    if "embed.images" in kind:
        return [Media("photo", opt_str(as_dict(i).get("fullsize")) or opt_str(as_dict(i).get("thumb")))
                for i in as_list(embed.get("images"))]
    if "embed.video" in kind:
        return [Media("video", opt_str(embed.get("playlist")))]
    if "embed.external" in kind:
        return [Media("link", opt_str(dig(embed, "external", "uri")))]
    return []


def add_record(parsed: Parsed, item: dict[str, Any], where: Location) -> None:
    """A listRecords entry: blocks become Block, posts and reposts become Post."""
    uri = opt_str(item.get("uri")) or ""
    value = as_dict(item.get("value"))
    repo = uri[len("at://"):].split("/", 1)[0] if uri.startswith("at://") else None
    if not repo:
        return
    kind = value.get("$type")
    owner = AccountRef("bluesky", platform_id=repo)
    if kind == "app.bsky.graph.block" and isinstance(value.get("subject"), str):
        parsed.blocks.append(Block(
            platform="bluesky", blocker=owner, blocked=AccountRef("bluesky", platform_id=value["subject"]),
            created_at=parse_time(value.get("createdAt")), uri=uri, raw=item,
        ))
    elif kind == "app.bsky.feed.post":
        post = record_post(uri, value, owner)
        post.raw = item
        parsed.posts.append(post)
    elif kind == "app.bsky.feed.repost":
        parsed.posts.append(Post(
            platform="bluesky", platform_id=uri, author=owner, text="", kind="repost",
            reposted_id=opt_str(dig(value, "subject", "uri")),
            created_at=parse_time(value.get("createdAt")), raw=item,
        ))
