"""The shapes every source maps to: Actor, Account, Post, Media, and a Reject with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PLATFORMS = ("x", "facebook", "instagram", "telegram", "bluesky", "mastodon", "web")
POST_KINDS = ("original", "reply", "repost", "quote")
ACTOR_ROLES = ("embassy", "ambassador", "ministry", "spokesperson", "state_media", "consulate", "other")


@dataclass(slots=True)
class Actor:
    """A diplomatic actor: "Embassy of China in Kazakhstan", "Ambassador Zhang"."""

    name: str
    role: str
    sending_country: str | None = None  # ISO 3166 alpha-2
    host_country: str | None = None  # ISO 3166 alpha-2


@dataclass(slots=True)
class AccountRef:
    """Who posted: enough to find or create the account row."""

    platform: str
    handle: str | None = None
    platform_id: str | None = None
    display_name: str | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{(self.handle or self.platform_id or '').lower().lstrip('@')}"


@dataclass(slots=True)
class Media:
    type: str  # photo, video, animated_gif, link, document
    url: str | None = None


@dataclass(slots=True)
class Post:
    """One post, reply, repost or quote, mapped from any source into one shape."""

    platform: str
    platform_id: str
    author: AccountRef
    text: str
    created_at: datetime | None = None  # aware UTC
    lang: str | None = None  # as the platform reported it
    kind: str = "original"
    in_reply_to: str | None = None  # platform id of the parent post
    in_reply_to_handle: str | None = None
    conversation_id: str | None = None
    quoted_id: str | None = None
    reposted_id: str | None = None
    url: str | None = None
    edited_at: datetime | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    media: list[Media] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)  # handles mentioned, without '@'
    hashtags: list[str] = field(default_factory=list)
    raw: Any = None  # the source record as read
    unmapped: list[str] = field(default_factory=list)  # source fields not mapped to this shape


@dataclass(slots=True)
class Location:
    """Where a record was read: file, 1-based line (or record number) and byte offset."""

    source_file: str
    line: int | None = None
    offset: int | None = None


@dataclass(slots=True)
class Reject:
    """A record that could not be mapped, kept with why."""

    where: Location
    reason: str
    raw: str = ""


@dataclass(slots=True)
class Block:
    """A public block record: `blocker` blocked `blocked` (Bluesky app.bsky.graph.block)."""

    platform: str
    blocker: AccountRef
    blocked: AccountRef
    created_at: datetime | None = None
    uri: str | None = None
    raw: Any = None


@dataclass(slots=True)
class Parsed:
    """What one source record yields: posts (a page with includes gives many), authors, blocks."""

    where: Location
    posts: list[Post] = field(default_factory=list)
    accounts: list[AccountRef] = field(default_factory=list)  # extra authors seen (includes.users)
    blocks: list[Block] = field(default_factory=list)


MAX_TEXT = 100_000  # characters kept of one post's text; longer is cut and flagged
