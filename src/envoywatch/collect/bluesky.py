"""Bluesky through the public AppView XRPC API: author feeds, reply threads, and block records.

Posts are mapped by the Bluesky importer (`sources.bluesky.map_response`), so a collected post
and the same post imported from a file are one row. Block records live in the account's own
repository on its PDS (`com.atproto.repo.listRecords`), found from its DID document.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from envoywatch.collect.base import (
    AccountGone,
    Bound,
    Collector,
    FetchError,
    Malformed,
    Page,
    collector,
    json_body,
    reject,
    remember_seen,
    wants_thread,
)
from envoywatch.domain import AccountRef, Location, Parsed
from envoywatch.sources._util import as_dict, as_list, dig, parse_time, to_int
from envoywatch.sources.bluesky import map_response

APPVIEW = "https://public.api.bsky.app"
PLC_DIRECTORY = "https://plc.directory"
GONE_ERRORS = {"AccountDeactivated", "AccountTakedown", "ActorNotFound", "RepoNotFound",
               "RepoTakendown", "RepoDeactivated"}
BLOCK = "app.bsky.graph.block"


@dataclass
class Actor:
    did: str
    handle: str | None
    ref: AccountRef


def xrpc_error(response: httpx.Response) -> tuple[str, str]:
    """The (error, message) of an XRPC error body, or empty strings."""
    try:
        body = as_dict(response.json())
    except ValueError:
        return "", ""
    return str(body.get("error") or ""), str(body.get("message") or "")


def is_gone(response: httpx.Response) -> bool:
    error, message = xrpc_error(response)
    return response.status_code in (400, 404, 410) and (
        error in GONE_ERRORS or "not found" in message.lower() or "could not find" in message.lower())


def sort_key(item: dict[str, Any]) -> str | None:
    """When a feed item entered the feed: the repost time for reposts, else the post's."""
    when = dig(item, "reason", "indexedAt") or dig(item, "post", "indexedAt") \
        or dig(item, "post", "record", "createdAt")
    dt = parse_time(when)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if dt else None


@collector
class BlueskyCollector(Collector):
    name = "bluesky"
    platform = "bluesky"
    default_base_url = APPVIEW
    page_size = 50
    thread_depth = 10

    def xrpc(self, method: str, params: dict, base: str | None = None) -> httpx.Response:
        return self.http.get(f"{base or self.base_url}/xrpc/{method}", params=params)

    def check(self, response: httpx.Response, what: str) -> Any:
        if is_gone(response):
            raise AccountGone(f"{what}: {xrpc_error(response)[1] or response.status_code}")
        if response.status_code != 200:
            error, message = xrpc_error(response)
            raise FetchError(str(response.url), response.status_code,
                             f"HTTP {response.status_code} {error}: {message}".strip())
        return json_body(response)

    def open(self, account: dict[str, Any]) -> Actor:
        actor = account.get("platform_id") or account.get("handle")
        response = self.xrpc("app.bsky.actor.getProfile", {"actor": actor})
        profile = as_dict(self.check(response, f"profile {actor}"))
        if not isinstance(profile.get("did"), str):
            raise Malformed(str(response.url), "profile without a did", response.text)
        ref = AccountRef("bluesky", handle=profile.get("handle"), platform_id=profile["did"],
                         display_name=profile.get("displayName"))
        return Actor(profile["did"], profile.get("handle"), ref)

    def fetch_page(self, target: Actor, cursor: Any, state: dict, bound: Bound) -> Page:
        """One getAuthorFeed page, with the reply threads of the account's own posts."""
        params = {"actor": target.did, "limit": self.page_size, "cursor": cursor}
        response = self.xrpc("app.bsky.feed.getAuthorFeed", params)
        body = self.check(response, f"feed of {target.did}")
        url = str(response.url)
        feed = as_dict(body).get("feed")
        if not isinstance(feed, list):
            raise Malformed(url, "getAuthorFeed response without a feed list", response.text)
        page = Page(items=[Parsed(Location(url, 0), accounts=[target.ref])])
        for number, item in enumerate(feed, start=1):
            item = as_dict(item)
            key = sort_key(item)
            page.top = self.newer(page.top, key)
            if self.is_old(key, parse_time(dig(item, "post", "record", "createdAt")), bound):
                page.reached = True
            else:
                page.items.append(map_response({"feed": [item]}, Location(url, number)))
            self.maybe_thread(target, item, state, page)
        page.next = as_dict(body).get("cursor") if feed else None
        return page

    def maybe_thread(self, target: Actor, item: dict, state: dict, page: Page) -> None:
        """Fetch the replies under the account's own post when its reply count changed."""
        post = as_dict(item.get("post"))
        uri, count = post.get("uri"), to_int(post.get("replyCount"))
        if dig(post, "author", "did") != target.did or "reasonRepost" in str(dig(item, "reason", "$type")):
            return
        if not isinstance(uri, str) or not wants_thread(state, uri, count):
            return
        params = {"uri": uri, "depth": self.thread_depth, "parentHeight": 0}
        response = self.xrpc("app.bsky.feed.getPostThread", params)
        url = str(response.url)
        error, _ = xrpc_error(response)
        page.threads += 1
        if response.status_code in (400, 404) and error == "NotFound":
            page.deleted += 1
            remember_seen(state, uri, -1)
            return
        try:
            body = self.check(response, f"thread {uri}")
        except Malformed as err:
            page.items.append(reject(url, 1, err.reason, err.raw))
            return
        thread = as_dict(as_dict(body).get("thread"))
        if "notFoundPost" in str(thread.get("$type")) or thread.get("notFound"):
            page.deleted += 1
            remember_seen(state, uri, -1)
            return
        page.items.append(map_response(body, Location(url, 1)))
        remember_seen(state, uri, count or 0)

    # --- blocks -----------------------------------------------------------------------------

    def pds_url(self, did: str) -> str:
        """The account's PDS: the option, the overridden base URL, or its DID document."""
        if self.options.get("pds_url"):
            return str(self.options["pds_url"]).rstrip("/")
        if self.overridden:
            return self.base_url
        if did.startswith("did:web:"):
            doc_url = f"https://{did[len('did:web:'):]}/.well-known/did.json"
        else:
            doc_url = f"{str(self.options.get('plc_url') or PLC_DIRECTORY).rstrip('/')}/{did}"
        response = self.http.get(doc_url)
        if response.status_code != 200:
            raise FetchError(doc_url, response.status_code, "cannot read the DID document")
        for service in as_list(as_dict(json_body(response)).get("service")):
            service = as_dict(service)
            if str(service.get("id", "")).endswith("#atproto_pds") and service.get("serviceEndpoint"):
                return str(service["serviceEndpoint"]).rstrip("/")
        raise Malformed(doc_url, "DID document names no #atproto_pds service", response.text)

    def extra_pages(self, target: Actor, state: dict) -> Iterator[Page]:
        """Block records, oldest first from the last one read, so each is fetched once."""
        if self.options.get("blocks") is False:
            return
        pds = self.pds_url(target.did)
        while True:
            params = {"repo": target.did, "collection": BLOCK, "limit": 100, "reverse": "true",
                      "cursor": state.get("blocks_cursor")}
            response = self.xrpc("com.atproto.repo.listRecords", params, base=pds)
            body = as_dict(self.check(response, f"blocks of {target.did}"))
            records = body.get("records")
            if not isinstance(records, list):
                raise Malformed(str(response.url), "listRecords response without records", response.text)
            where = Location(str(response.url), 1)
            parsed = map_response({"records": records}, where)
            if isinstance(parsed, Parsed):
                parsed.accounts.insert(0, target.ref)
            if body.get("cursor") and records:
                state["blocks_cursor"] = body["cursor"]
            yield Page(items=[parsed])
            if not records or not body.get("cursor"):
                return
