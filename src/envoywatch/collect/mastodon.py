"""Mastodon through any instance's public REST API: account lookup, statuses, reply contexts.

Statuses are mapped by the Mastodon importer (`sources.mastodon.map_status_record`). Paging goes
backwards with `max_id`, bounded by `since_id` (the newest status a finished run saw); the top
page is read whole so that new replies to recent statuses are noticed. Instances that refuse
anonymous reads take a token from $ENVOYWATCH_MASTODON_TOKEN.
"""

from __future__ import annotations

import os
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
from envoywatch.sources._util import as_dict, parse_time, to_int
from envoywatch.sources.mastodon import account_ref, map_status_record


@dataclass
class Target:
    base: str
    account_id: str
    ref: AccountRef


def split_handle(handle: str) -> tuple[str, str | None]:
    """`user@instance` (with or without a leading @) → ("user", "instance")."""
    user, _, instance = handle.lstrip("@").partition("@")
    return user, instance or None


@collector
class MastodonCollector(Collector):
    name = "mastodon"
    platform = "mastodon"
    page_size = 40

    def order(self, key: Any) -> Any:
        text = str(key)
        return (len(text), text)  # ids are decimal snowflakes; longer is newer

    def get(self, url: str, params: dict | None = None) -> httpx.Response:
        token = self.options.get("token") or os.environ.get("ENVOYWATCH_MASTODON_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return self.http.get(url, params=params, headers=headers)

    def instance_base(self, account: dict[str, Any]) -> str:
        _, instance = split_handle(account.get("handle") or "")
        if self.overridden:
            return self.base_url
        if not instance:
            raise ValueError(f"Mastodon handle {account.get('handle')!r} needs its instance: user@instance")
        return f"https://{instance}"

    def open(self, account: dict[str, Any]) -> Target:
        user, _ = split_handle(account.get("handle") or "")
        base = self.instance_base(account)
        response = self.get(f"{base}/api/v1/accounts/lookup", {"acct": user})
        if response.status_code in (404, 410):
            raise AccountGone(f"{account.get('handle')}: HTTP {response.status_code} from account lookup")
        body = as_dict(self.ok(response))
        if not body.get("id"):
            raise Malformed(str(response.url), "account lookup without an id", response.text)
        if body.get("suspended"):
            raise AccountGone(f"{account.get('handle')}: suspended on its instance")
        return Target(base, str(body["id"]), account_ref(body))

    def ok(self, response: httpx.Response) -> Any:
        if response.status_code != 200:
            raise FetchError(str(response.url), response.status_code, f"HTTP {response.status_code}")
        return json_body(response)

    def fetch_page(self, target: Target, cursor: Any, state: dict, bound: Bound) -> Page:
        """One page of the account's statuses (boosts and replies included), newest first."""
        # The top page is read whole, so recent statuses whose reply count grew get their
        # context again; deeper pages stop at the last run's newest status with since_id.
        params = {"limit": self.page_size, "max_id": cursor,
                  "since_id": bound.newest if cursor is not None and bound.since is None else None}
        response = self.get(f"{target.base}/api/v1/accounts/{target.account_id}/statuses", params)
        if response.status_code in (404, 410):
            raise AccountGone(f"account {target.account_id}: HTTP {response.status_code} from statuses")
        statuses = self.ok(response)
        url = str(response.url)
        if not isinstance(statuses, list):
            raise Malformed(url, "statuses response is not a list", response.text)
        page = Page(items=[Parsed(Location(url, 0), accounts=[target.ref])])
        ids = [str(s["id"]) for s in statuses if isinstance(s, dict) and s.get("id")]
        for number, status in enumerate(statuses, start=1):
            status = as_dict(status)
            if self.is_old(status.get("id"), parse_time(status.get("created_at")), bound):
                page.reached = True
            else:
                page.items.append(map_status_record(status, Location(url, number)))
            self.maybe_context(target, status, state, page)
        if ids:
            page.top = max(ids, key=self.order)
            page.next = min(ids, key=self.order)
        return page

    def maybe_context(self, target: Target, status: dict, state: dict, page: Page) -> None:
        """Fetch replies (descendants) of the account's own status when its reply count changed."""
        status_id, count = str(status.get("id")), to_int(status.get("replies_count"))
        if status.get("reblog") or str(as_dict(status.get("account")).get("id")) != target.account_id:
            return
        if not wants_thread(state, status_id, count):
            return
        response = self.get(f"{target.base}/api/v1/statuses/{status_id}/context")
        url = str(response.url)
        page.threads += 1
        if response.status_code in (404, 410):
            page.deleted += 1
            remember_seen(state, status_id, -1)
            return
        try:
            body = as_dict(self.ok(response))
        except Malformed as err:
            page.items.append(reject(url, 1, err.reason, err.raw))
            return
        number = 0
        for key in ("ancestors", "descendants"):
            for item in body.get(key) or []:
                number += 1
                page.items.append(map_status_record(item, Location(url, number)))
        remember_seen(state, status_id, count or 0)
