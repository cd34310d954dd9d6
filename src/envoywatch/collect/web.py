"""Embassy and ministry websites through their RSS or Atom feeds (feedparser).

A `web` account's handle (or platform id) is the feed URL, or the site's address, whose page
names its feed with `<link rel="alternate">`. Feeds are fetched conditionally (ETag,
Last-Modified), so an unchanged feed costs one small 304 response.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser
import httpx
from selectolax.lexbor import LexborHTMLParser

from envoywatch.collect.base import AccountGone, Bound, Collector, FetchError, Malformed, Page, collector
from envoywatch.domain import AccountRef, Location, Media, Parsed, Post
from envoywatch.sources._util import clean_text, guarded, opt_str

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+xml",
              "application/xml", "text/xml")


@dataclass
class Site:
    handle: str
    feed_url: str


def entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)  # plain get: feedparser's own maps `updated` to `published`
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def html_text(html: str | None) -> str:
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return html.strip()
    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style"])
    return (tree.body.text(separator=" ") if tree.body else tree.text(separator=" ")).strip()


def discover_feed(html: str, page_url: str) -> str | None:
    """The feed a web page announces with <link rel="alternate" type="application/rss+xml">."""
    tree = LexborHTMLParser(html)
    for link in tree.css("link[rel][href]"):
        rel = str(link.attributes.get("rel") or "").lower()
        kind = str(link.attributes.get("type") or "").lower()
        if "alternate" in rel and kind in FEED_TYPES:
            return urljoin(page_url, str(link.attributes.get("href")))
    return None


@collector
class WebCollector(Collector):
    name = "web"
    platform = "web"

    def rebase(self, url: str) -> str:
        """With --base-url, the same path and query on the given server."""
        if not self.overridden:
            return url
        base = urlsplit(self.base_url)
        parts = urlsplit(url)
        path = base.path.rstrip("/") + (parts.path or "/")
        return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))

    def open(self, account: dict[str, Any]) -> Site:
        pid, handle = account.get("platform_id") or "", account.get("handle") or ""
        address = pid if pid.startswith(("http://", "https://")) else handle
        if not address:
            raise ValueError("a web account needs its feed or site URL as handle or platform_id")
        if not address.startswith(("http://", "https://")):
            address = f"https://{address}/"
        return Site(handle or address, self.rebase(address))

    def fetch_page(self, target: Site, cursor: Any, state: dict, bound: Bound) -> Page:
        """The feed (found from the site's page the first time), fetched conditionally."""
        url = self.rebase(state["feed_url"]) if state.get("feed_url") else target.feed_url
        response = self.request(url, state if bound.since is None else {})
        if response.status_code == 304:
            return Page(reached=True)
        body = response.content
        if "html" in response.headers.get("content-type", "") and b"<rss" not in body[:2000]:
            found = discover_feed(response.text, str(response.url))
            if not found:
                raise Malformed(str(response.url), "a web page that announces no RSS or Atom feed",
                                response.text)
            state["feed_url"] = found
            response = self.request(found, {})
        return self.read_feed(target, response, state, bound)

    def request(self, url: str, state: dict) -> httpx.Response:
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        response = self.http.get(url, headers=headers)
        if response.status_code in (404, 410):
            raise AccountGone(f"{url}: HTTP {response.status_code}")
        if response.status_code not in (200, 304):
            raise FetchError(str(response.url), response.status_code, f"HTTP {response.status_code}")
        return response

    def read_feed(self, target: Site, response: httpx.Response, state: dict, bound: Bound) -> Page:
        """Entries newer than the bound as posts; remembers ETag and Last-Modified."""
        url = str(response.url)
        feed = feedparser.parse(response.content, response_headers={
            "content-location": url, "content-type": response.headers.get("content-type", "")})
        if not feed.entries and (feed.bozo or not feed.feed):
            reason = f"not a readable RSS/Atom feed: {feed.get('bozo_exception') or 'no entries'}"
            raise Malformed(url, reason, response.text)
        page = Page(reached=True)
        site = AccountRef("web", handle=target.handle, display_name=opt_str(feed.feed.get("title")))
        for number, entry in enumerate(feed.entries, start=1):
            created = entry_time(entry)
            key = created.isoformat() if created else None
            page.top = self.newer(page.top, key)
            if self.is_old(key, created, bound):
                continue
            where = Location(url, number)
            page.items.append(guarded(where, entry, lambda e, w: self.entry(e, site, feed, w)))
        for header, name in (("etag", "etag"), ("last-modified", "modified")):
            if response.headers.get(header):
                state[name] = response.headers[header]
        return page

    def entry(self, entry: Any, site: AccountRef, feed: Any, where: Location) -> Parsed:
        """One feed entry as a Post: title and plain-text body, link, date, enclosures."""
        notes: list[str] = []
        title = html_text(entry.get("title"))
        content = entry.get("content") or []
        body = html_text(content[0].get("value") if content else entry.get("summary"))
        link = opt_str(entry.get("link"))
        ident = opt_str(entry.get("id")) or link or hashlib.sha256(
            f"{site.handle}|{title}|{dict.get(entry, 'published')}".encode()).hexdigest()
        post = Post(
            platform="web", platform_id=ident, author=site,
            text=clean_text("\n\n".join(t for t in (title, body) if t), notes),
            created_at=entry_time(entry), url=link,
            lang=opt_str((content[0].get("language") if content else None) or feed.feed.get("language")),
            hashtags=[t for tag in entry.get("tags") or [] if (t := opt_str(tag.get("term")))],
            media=[Media(self.media_type(e.get("type")), opt_str(e.get("href")))
                   for e in entry.get("enclosures") or []],
            raw={k: dict.get(entry, k) for k in ("id", "title", "link", "published", "updated", "summary",
                                            "author") if dict.get(entry, k) is not None},
        )
        updated, published = dict.get(entry, "updated_parsed"), dict.get(entry, "published_parsed")
        if updated and published and updated != published:
            post.edited_at = datetime.fromtimestamp(calendar.timegm(updated), tz=UTC)
        post.unmapped = notes
        return Parsed(where, posts=[post])

    @staticmethod
    def media_type(mime: str | None) -> str:
        mime = str(mime or "")
        return "photo" if mime.startswith("image/") else "video" if mime.startswith("video/") else "document"
