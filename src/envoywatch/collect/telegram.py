"""Telegram public channels through their web preview, `t.me/s/<channel>`, parsed with selectolax.

A preview page shows about twenty messages, oldest first, with a "more" link `?before=<id>`.
Message ids are `<channel>/<number>` as in the Telegram Desktop importer. Views, dates,
forwarded-from, replies to earlier channel posts, photos, videos and link previews are kept.
Replies from the public live in the channel's discussion group, which the preview does not show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from selectolax.lexbor import LexborHTMLParser, LexborNode

from envoywatch.collect.base import AccountGone, Bound, Collector, FetchError, Page, collector
from envoywatch.domain import AccountRef, Location, Media, Parsed, Post
from envoywatch.sources._util import clean_text, guarded, parse_time

TELEGRAM = "https://t.me"
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
BG_URL = re.compile(r"background-image:\s*url\(['\"]?([^'\")]+)['\"]?\)")
VIEWS = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([KMB]?)\s*$", re.IGNORECASE)
RAW_HTML_LIMIT = 20_000


def parse_views(text: str | None) -> int | None:
    """Telegram's view counter: "987", "12.3K", "1.2M" → an int."""
    match = VIEWS.match(text or "")
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    return int(round(number * {"": 1, "K": 1e3, "M": 1e6, "B": 1e9}[match.group(2).upper()]))


def post_path(href: str | None) -> str | None:
    """`https://t.me/chan/123` → "chan/123" (lower-case channel), or None."""
    if not href:
        return None
    try:
        parts = urlparse(href).path.strip("/").split("/")
    except ValueError:  # a broken link in a hostile page
        return None
    if parts and parts[0] == "s":
        parts = parts[1:]
    if len(parts) >= 2 and parts[1].isdigit():
        return f"{parts[0].lower()}/{parts[1]}"
    return None


def node_text(node: LexborNode | None) -> str:
    """Text of a message body with <br> as newlines."""
    if node is None:
        return ""
    inner = LexborHTMLParser(BREAK.sub("\n", node.html or ""))
    return (inner.body.text(separator="") if inner.body else "").strip()


@dataclass
class Channel:
    name: str  # lower-case username


@collector
class TelegramCollector(Collector):
    name = "telegram"
    platform = "telegram"
    default_base_url = TELEGRAM

    def order(self, key: Any) -> Any:
        return int(key)

    def open(self, account: dict[str, Any]) -> Channel:
        handle = (account.get("handle") or "").lstrip("@").lower()
        if not handle:
            raise ValueError("a Telegram account needs its public channel username as handle")
        return Channel(handle)

    def fetch_page(self, target: Channel, cursor: Any, state: dict, bound: Bound) -> Page:
        """One preview page (`?before=` a message id), newest messages at the bottom."""
        response = self.http.get(f"{self.base_url}/s/{target.name}", params={"before": cursor})
        url = str(response.url)
        if response.status_code in (404, 410):
            raise AccountGone(f"channel {target.name}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise FetchError(url, response.status_code, f"HTTP {response.status_code}")
        tree = LexborHTMLParser(response.text)
        nodes = tree.css("div.tgme_widget_message[data-post]")
        if not nodes and cursor is None and (
                not urlparse(url).path.startswith("/s/") or tree.css_first(".tgme_channel_info") is None):
            raise AccountGone(f"channel {target.name}: no public preview (deleted, renamed or private)")
        page = Page()
        numbers = []
        for index, node in enumerate(nodes, start=1):
            path = post_path("/" + str(node.attributes.get("data-post") or ""))
            if path is None:
                continue
            number = int(path.rsplit("/", 1)[1])
            numbers.append(number)
            where = Location(url, index)
            created = parse_time(self.time_of(node))
            if self.is_old(number, created, bound):
                page.reached = True
                continue
            page.items.append(guarded(where, node, lambda n, w: self.message(n, target, w)))
        more = tree.css_first("a.tme_messages_more[data-before]")
        if numbers:
            page.top = max(numbers)
            page.next = min(numbers) if (more is not None and min(numbers) > 1) else None
        return page

    @staticmethod
    def time_of(node: LexborNode) -> str | None:
        time = node.css_first(".tgme_widget_message_date time[datetime]") or node.css_first("time[datetime]")
        return time.attributes.get("datetime") if time else None

    def message(self, node: LexborNode, channel: Channel, where: Location) -> Parsed:
        """One preview message as a Post; service messages (pins, title changes) give nothing."""
        path = post_path("/" + str(node.attributes.get("data-post")))
        if "service_message" in str(node.attributes.get("class") or ""):
            return Parsed(where)
        notes: list[str] = []
        text_node = node.css_first(".tgme_widget_message_text.js-message_text") \
            or node.css_first(".tgme_widget_message_bubble > .tgme_widget_message_text")
        owner = node.css_first(".tgme_widget_message_owner_name")
        number = path.rsplit("/", 1)[1]
        post = Post(
            platform="telegram", platform_id=path,
            author=AccountRef("telegram", handle=channel.name,
                              display_name=owner.text(strip=True) if owner else None),
            text=clean_text(node_text(text_node), notes),
            created_at=parse_time(self.time_of(node)),
            url=f"https://t.me/{channel.name}/{number}",
            media=self.media(node),
            raw={"html": (node.html or "")[:RAW_HTML_LIMIT]},
        )
        views = parse_views(self.text_of(node, ".tgme_widget_message_views"))
        if views is not None:
            post.metrics = {"views": views}
        reply = node.css_first("a.tgme_widget_message_reply")
        post.in_reply_to = post_path(reply.attributes.get("href")) if reply else None
        forwarded = node.css_first(".tgme_widget_message_forwarded_from")
        if forwarded is not None:
            link = forwarded.css_first("a.tgme_widget_message_forwarded_from_name")
            post.kind = "repost"
            post.reposted_id = post_path(link.attributes.get("href")) if link else None
            name = (link or forwarded.css_first(".tgme_widget_message_forwarded_from_name") or forwarded)
            post.raw["forwarded_from"] = name.text(strip=True).removeprefix("Forwarded from").strip()
        elif post.in_reply_to:
            post.kind = "reply"
        post.hashtags, post.mentions = self.tags(text_node)
        if "edited" in self.text_of(node, ".tgme_widget_message_meta").lower():
            notes.append("note: edited on Telegram (the preview shows no edit date)")
        post.unmapped = notes
        return Parsed(where, posts=[post])

    @staticmethod
    def text_of(node: LexborNode, selector: str) -> str:
        found = node.css_first(selector)
        return found.text(strip=True) if found else ""

    @staticmethod
    def tags(text_node: LexborNode | None) -> tuple[list[str], list[str]]:
        hashtags, mentions = [], []
        for link in text_node.css("a") if text_node else []:
            label = link.text(strip=True)
            href = unquote(str(link.attributes.get("href") or ""))
            if label.startswith("#") and ("?q=#" in href or label == href.rsplit("=", 1)[-1]):
                hashtags.append(label[1:])
            elif label.startswith("@") and len(label) > 1:
                mentions.append(label[1:])
        return hashtags, mentions

    @staticmethod
    def media(node: LexborNode) -> list[Media]:
        """Photos, videos, documents and the link preview of a message."""
        found = []
        for photo in node.css("a.tgme_widget_message_photo_wrap"):
            match = BG_URL.search(str(photo.attributes.get("style") or ""))
            found.append(Media("photo", match.group(1) if match else None))
        for video in node.css("video.tgme_widget_message_video"):
            found.append(Media("video", video.attributes.get("src")))
        for doc in node.css("a.tgme_widget_message_document_wrap"):
            found.append(Media("document", doc.attributes.get("href")))
        preview = node.css_first("a.tgme_widget_message_link_preview")
        if preview is not None:
            found.append(Media("link", preview.attributes.get("href")))
        return found
