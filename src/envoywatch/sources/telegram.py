"""Telegram Desktop JSON export (result.json) of one channel or discussion group, streamed.

The export names the chat by numeric id only. Option `account=USERNAME` (or `channel=`) gives its
public username: post ids become `USERNAME/ID` with t.me links, as the live collector writes them;
without it they are `CHAT_ID/ID`.
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
    json_head,
    opt_str,
    parse_time,
    raw_text,
    read_json_items,
    to_int,
    unmapped_keys,
)
from envoywatch.sources.base import Sample, Source, source

MESSAGE_FIELDS = {
    "id", "type", "date", "date_unixtime", "edited", "edited_unixtime", "from", "from_id",
    "text", "text_entities", "reply_to_message_id", "photo", "file", "media_type",
    "forwarded_from", "reactions", "mime_type", "thumbnail", "width", "height",
}
CHAT_TYPES = {"public_channel", "private_channel", "public_supergroup", "private_supergroup",
              "private_group", "personal_chat", "bot_chat", "saved_messages"}
MEDIA_TYPES = {"video_file": "video", "animation": "animated_gif", "video_message": "video",
               "sticker": "photo"}


@source
class TelegramSource(Source):
    name = "telegram"
    description = "Telegram Desktop JSON export (result.json) of a channel or discussion group"

    def detect(self, sample: Sample) -> float:
        scalars, keys, root = json_head(sample.head)
        if root != "object" or "messages" not in keys:
            return 0.0
        if scalars.get("type") in CHAT_TYPES:
            return 0.95
        return 0.6 if "name" in keys or "id" in keys else 0.3

    def read(self, path: Path, options: dict[str, str] | None = None) -> Iterator[Parsed | Reject]:
        path, options = Path(path), options or {}
        with open(path, "rb") as f:
            scalars, _, _ = json_head(f.read(65536))
        chat = Chat.from_header(scalars, options)
        return read_json_items(path, lambda r, w: map_message(r, w, chat), keys=("messages",))


class Chat:
    """The exported chat: its id (or public username) prefixes every message id."""

    def __init__(self, chat_id: str, title: str | None, username: str | None) -> None:
        self.chat_id = chat_id
        self.title = title
        self.username = username

    @classmethod
    def from_header(cls, scalars: dict[str, Any], options: dict[str, str]) -> Chat:
        username = opt_str(options.get("channel")) or opt_str(options.get("account"))
        chat_id = opt_str(scalars.get("id")) or "unknown"
        # Telegram usernames are case-insensitive; the collector keys channels in lower case too,
        # so an export and a collection of the same channel give the same post ids.
        handle = username.lstrip("@").lower() if username else None
        return cls(chat_id, opt_str(scalars.get("name")), handle)

    @property
    def prefix(self) -> str:
        return self.username or self.chat_id

    def message_id(self, value: Any) -> str | None:
        number = opt_str(value)
        return f"{self.prefix}/{number}" if number else None


def message_text(value: Any) -> str:
    """Telegram text: a string, or a list of strings and {"type", "text"} entity objects."""
    if isinstance(value, str):
        return value
    parts = []
    for part in as_list(value):
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return "".join(parts)


def entities(message: dict[str, Any], kind: str) -> list[str]:
    source = message.get("text_entities") or message.get("text")
    found = []
    for part in as_list(source):
        if isinstance(part, dict) and part.get("type") == kind and isinstance(part.get("text"), str):
            found.append(part["text"].lstrip("@#"))
    return found


def map_message(message: Any, where: Location, chat: Chat) -> Parsed | Reject:
    if not isinstance(message, dict) or opt_str(message.get("id")) is None:
        return Reject(where, "Telegram message without id", raw_text(message))
    if message.get("type", "message") != "message":
        return Parsed(where=where)  # service messages (joins, pins) are not posts
    notes: list[str] = []
    created = parse_time(message.get("date_unixtime"))
    if created is None and message.get("date"):
        created = parse_time(message.get("date"))
        notes.append("note: date has no time zone in the export; read as UTC")
    post = Post(
        platform="telegram",
        platform_id=str(chat.message_id(message["id"])),
        author=author_ref(message, chat),
        text=clean_text(message_text(message.get("text")), notes),
        created_at=created,
        edited_at=parse_time(message.get("edited_unixtime")) or parse_time(message.get("edited")),
        in_reply_to=chat.message_id(message.get("reply_to_message_id")),
        metrics=reaction_counts(message),
        media=telegram_media(message),
        mentions=entities(message, "mention"),
        hashtags=entities(message, "hashtag"),
        raw=message,
    )
    if chat.username:
        post.url = f"https://t.me/{chat.username}/{message['id']}"
    if post.in_reply_to:
        post.kind = "reply"
    elif message.get("forwarded_from"):
        post.kind = "repost"
    post.unmapped = unmapped_keys(message, MESSAGE_FIELDS) + notes
    return Parsed(where=where, posts=[post])


def author_ref(message: dict[str, Any], chat: Chat) -> AccountRef:
    """The sender; a channel's own posts carry the channel's handle when it was given."""
    from_id = opt_str(message.get("from_id"))
    own_channel = from_id in (f"channel{chat.chat_id}", None) and chat.username
    return AccountRef(
        platform="telegram",
        handle=chat.username if own_channel else None,
        platform_id=from_id or f"channel{chat.chat_id}",
        display_name=opt_str(message.get("from")) or opt_str(message.get("author")) or chat.title,
    )


def reaction_counts(message: dict[str, Any]) -> dict[str, Any]:
    reactions = {}
    for reaction in as_list(message.get("reactions")):
        reaction = as_dict(reaction)
        label = opt_str(reaction.get("emoji")) or opt_str(reaction.get("document_id")) or "other"
        count = to_int(reaction.get("count"))
        if count is not None:
            reactions[label] = reactions.get(label, 0) + count
    return {"reactions": reactions} if reactions else {}


def telegram_media(message: dict[str, Any]) -> list[Media]:
    """Photo and file paths as exported; "(File not included...)" placeholders give no url."""
    media = []
    for key in ("photo", "file"):
        if not message.get(key):
            continue
        path = opt_str(message.get(key))
        url = None if path is None or path.startswith("(") else path
        kind = "photo" if key == "photo" else MEDIA_TYPES.get(str(message.get("media_type")), "document")
        media.append(Media(type=kind, url=url))
    return media
