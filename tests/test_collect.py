"""Live collection against recorded API responses served from 127.0.0.1 (never the internet)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from replay_server import ReplayServer, route_key
from sqlalchemy import func, select

from envoywatch.accounts import AccountEntry, upsert
from envoywatch.collect.base import Http, Politeness, retry_after
from envoywatch.collect.runner import RunOptions, parse_interval, run_once
from envoywatch.collect.telegram import parse_views, post_path
from envoywatch.store import open_store
from envoywatch.store.schema import accounts, blocks, collect_cursors, posts, rejects

DID = "did:plc:q6gjnaw2blty4crticxkmujt"
FEED = f"/xrpc/app.bsky.feed.getAuthorFeed?actor={DID}&limit=50"
FEED2 = FEED + "&cursor=2026-11-18T08:00:00.000Z"
FEED3 = FEED + "&cursor=2026-11-12T12:00:00.000Z"
PROFILE = "/xrpc/app.bsky.actor.getProfile?actor=embassy-astana.bsky.social"
THREAD = "/xrpc/app.bsky.feed.getPostThread?depth=10&parentHeight=0&uri="
P5 = f"at://{DID}/app.bsky.feed.post/3lbzv7p2mn42k"
STATUSES = "/api/v1/accounts/113400000000000001/statuses?limit=40"
CONTEXT_105 = "/api/v1/statuses/113500000000000105/context"
TG = "/s/emb_astana"

REGISTRY = [
    ("Embassy in Astana", "bluesky", "embassy-astana.bsky.social", None),
    ("Embassy in Astana", "mastodon", "embassy_astana@mastodon.social", None),
    ("Embassy in Astana", "telegram", "emb_astana", None),
    ("Embassy in Astana", "web", "embassy-astana.example.org",
     "https://embassy-astana.example.org/feeds/news.rss"),
    ("Ministry", "web", "mfa.example.org", None),
    ("Closed mission", "bluesky", "closed-mission.bsky.social", None),
    ("Closed mission", "mastodon", "closed_mission@mastodon.social", None),
    ("Closed mission", "telegram", "closed_channel", None),
]
# What the fixtures hold for the watched accounts: posts with replies, reposts and originals.
EXPECTED = {"bluesky": 11, "mastodon": 9, "telegram": 9, "web": 5}


class Crash(BaseException):
    """Stands for a kill: not an Exception, so no handler in the collectors catches it."""


def register(store, rows=REGISTRY) -> None:
    with store.write() as conn:
        upsert(conn, [AccountEntry(actor=a, role="embassy", sending_country="CN", host_country="KZ",
                                   platform=p, handle=h, platform_id=pid) for a, p, h, pid in rows])


@pytest.fixture
def server():
    with ReplayServer() as s:
        yield s


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated workspace with the registry, copied for each SQLite test (migrating takes seconds)."""
    path = tmp_path_factory.mktemp("collect-template") / "ws.db"
    store = open_store(path)
    register(store)
    store.close()
    return path


def workspace_copy(template, path):
    shutil.copy(template, path)
    return open_store(path)


@pytest.fixture
def ws(db_url, template_db):
    if "://" in db_url:  # PostgreSQL in CI: migrate and register for real
        store = open_store(db_url)
        register(store)
    else:
        store = workspace_copy(template_db, db_url)
    yield store
    store.close()


class Sleeps(list):
    """A fake sleep that records how long the client was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))


def collect(store, server, sleeps=None, **kw):
    options = RunOptions(base_urls={"*": server.url},
                         politeness=Politeness(min_interval=0, backoff=0.5, max_retries=3, max_wait=60),
                         **{k: v for k, v in kw.items() if k in ("platform", "account", "since", "max_pages")})
    http = Http(options.politeness, sleep=sleeps if sleeps is not None else Sleeps())
    try:
        summary = run_once(store, options, http=http, on_page=kw.get("on_page"))
    finally:
        http.close()
    return {a.account: a for a in summary.accounts}, summary


def post_rows(store) -> set[tuple]:
    with store.read() as conn:
        q = select(posts.c.platform, posts.c.platform_id, posts.c.text, posts.c.kind, posts.c.in_reply_to,
                   accounts.c.handle).join(accounts, accounts.c.id == posts.c.account_id)
        return set(conn.execute(q).all())


def count_by_platform(store) -> dict[str, int]:
    with store.read() as conn:
        return dict(conn.execute(select(posts.c.platform, func.count()).group_by(posts.c.platform)).all())


def block_pairs(store) -> set[tuple]:
    with store.read() as conn:
        q = select(accounts.c.platform_id).where(accounts.c.id == blocks.c.blocked_id)
        return set(conn.execute(q).scalars())


# --- end to end -------------------------------------------------------------------------------


def test_collects_posts_replies_and_blocks_from_every_platform(ws, server):
    results, summary = collect(ws, server)
    assert count_by_platform(ws) == EXPECTED
    assert {k: v.status for k, v in results.items()} == {
        "embassy-astana.bsky.social": "ok", "embassy_astana@mastodon.social": "ok", "emb_astana": "ok",
        "embassy-astana.example.org": "ok", "mfa.example.org": "ok",
        "closed-mission.bsky.social": "gone", "closed_mission@mastodon.social": "gone",
        "closed_channel": "gone"}
    assert block_pairs(ws) == {"did:plc:zt5ycd3m4khv2xrb7qwnlp6e", "did:plc:m2rkd4exv5hq7tnjbcwz3ly6"}
    rows = post_rows(ws)
    replies = {(p, pid) for p, pid, _, kind, parent, _ in rows if kind == "reply"}
    assert ("bluesky", "at://did:plc:zt5ycd3m4khv2xrb7qwnlp6e/app.bsky.feed.post/3lbzx2hq4ka2c") in replies
    assert ("mastodon", "113500000000000202") in replies
    assert ("telegram", "emb_astana/204") in replies
    with ws.read() as conn:
        row = conn.execute(select(posts).where(posts.c.platform_id == P5)).one()
        watched = conn.execute(select(accounts.c.watched).where(accounts.c.id == row.account_id)).scalar()
        forwarded = conn.execute(select(posts).where(posts.c.platform_id == "emb_astana/197")).one()
        web = conn.execute(select(posts).where(posts.c.platform_id == "embassy-astana-news-1203")).one()
    assert watched and row.importer == "collect:bluesky" and row.source_file.startswith(server.url)
    assert row.raw and '"replyCount"' in row.raw
    assert forwarded.kind == "repost" and forwarded.reposted_id == "mfa_examplia/5120"
    assert forwarded.metrics == {"views": 12300}
    assert "alert" not in web.text and web.text.startswith("Ambassador meets the mayor")
    assert summary.as_dict()["accounts_failed"] == 3


def test_pages_to_the_end_of_every_timeline(ws, server):
    collect(ws, server)
    for target in (FEED, FEED2, FEED3, STATUSES, STATUSES + "&max_id=113500000000000103",
                   STATUSES + "&max_id=113500000000000101", TG, TG + "?before=201", TG + "?before=197"):
        assert server.count(target) == 1, target


def test_restart_fetches_only_what_is_new(ws, server):
    collect(ws, server)
    before = post_rows(ws)
    server.clear_log()
    server.script(FEED, {"file": "bluesky/feed_page1_new.json"})
    server.script(TG, {"file": "telegram/channel_page1_new.html"})
    server.script(STATUSES, {"file": "mastodon/statuses_new.json"})
    results, _ = collect(ws, server)
    new = post_rows(ws) - before
    assert {(p, pid) for p, pid, *_ in new} == {
        ("bluesky", f"at://{DID}/app.bsky.feed.post/3lc4k2qz6hr2d"), ("telegram", "emb_astana/205"),
        ("mastodon", "113500000000000106")}
    assert results["embassy-astana.bsky.social"].counts.inserted == 1
    for old in (FEED2, FEED3, TG + "?before=201", STATUSES + "&max_id=113500000000000103",
                THREAD + P5, CONTEXT_105):
        assert server.count(old) == 0, old
    assert server.count("/xrpc/com.atproto.repo.listRecords?collection=app.bsky.graph.block&limit=100"
                        f"&repo={DID}&reverse=true") == 0  # blocks continue from their cursor


def test_since_fetches_again_without_duplicates(ws, server):
    collect(ws, server)
    before = post_rows(ws)
    server.clear_log()
    results, _ = collect(ws, server, since=datetime(2026, 11, 1, tzinfo=UTC))
    assert server.count(FEED3) == 1 and server.count(TG + "?before=197") == 1
    assert post_rows(ws) == before
    assert results["emb_astana"].counts.inserted == 0 and results["emb_astana"].counts.duplicates == 9


def test_since_stops_paging_at_the_date(ws, server):
    results, _ = collect(ws, server, platform="telegram", since=datetime(2026, 11, 17, tzinfo=UTC))
    assert server.count(TG + "?before=197") == 0
    ids = {pid for p, pid, *_ in post_rows(ws)}
    assert "emb_astana/200" in ids and "emb_astana/199" not in ids


# --- politeness and failures ------------------------------------------------------------------


def test_429_with_retry_after_is_honoured(ws, server):
    server.script(FEED2, {"status": 429, "headers": {"Retry-After": "7"}, "body": '{"error":"RateLimitExceeded"}'})
    sleeps = Sleeps()
    results, summary = collect(ws, server, sleeps=sleeps, platform="bluesky")
    assert 7.0 in sleeps
    assert server.count(FEED2) == 2
    assert results["embassy-astana.bsky.social"].status == "ok"
    assert count_by_platform(ws)["bluesky"] == EXPECTED["bluesky"]
    assert summary.http["retries"] == 1


def test_retry_after_longer_than_allowed_gives_up_on_that_account_only(ws, server):
    server.script(STATUSES, *[{"status": 429, "headers": {"Retry-After": "3600"}}] * 2)
    results, _ = collect(ws, server)
    assert results["embassy_astana@mastodon.social"].status == "error"
    assert "3600" in results["embassy_astana@mastodon.social"].error
    assert results["emb_astana"].status == "ok"


def test_500_then_success(ws, server):
    server.script(STATUSES, {"status": 500, "body": "oops"}, {"status": 502, "body": "<html>bad gateway"})
    sleeps = Sleeps()
    results, _ = collect(ws, server, sleeps=sleeps, platform="mastodon")
    assert sleeps[:2] == [0.5, 1.0]  # exponential backoff without Retry-After
    assert results["embassy_astana@mastodon.social"].status == "ok"
    assert count_by_platform(ws)["mastodon"] == EXPECTED["mastodon"]


def test_server_errors_past_the_retries_fail_the_account_not_the_run(ws, server):
    server.script(TG, *[{"status": 503}] * 4)
    results, _ = collect(ws, server)
    assert results["emb_astana"].status == "error" and "503" in results["emb_astana"].error
    assert results["embassy_astana@mastodon.social"].status == "ok"


def test_per_host_rate_limit_spaces_requests(server):
    clock = [0.0]
    sleeps = Sleeps()

    def sleep(seconds):
        sleeps(seconds)
        clock[0] += seconds

    http = Http(Politeness(min_interval=2.0), sleep=sleep, clock=lambda: clock[0])
    for _ in range(3):
        http.get(server.url + TG)
    http.close()
    assert sleeps == [2.0, 2.0]


def test_user_agent_is_descriptive(server):
    seen = {}

    def handler(request):
        seen["ua"] = request.headers["user-agent"]
        return httpx.Response(200, json={})

    http = Http(Politeness(contact="desk@example.org"), transport=httpx.MockTransport(handler))
    http.get("https://example.invalid/x")
    assert seen["ua"].startswith("envoywatch/") and "desk@example.org" in seen["ua"]


def test_a_url_keeps_its_own_query():
    seen = []

    def handler(request):
        seen.append(str(request.url))
        return httpx.Response(200, text="")

    http = Http(Politeness(min_interval=0), transport=httpx.MockTransport(handler))
    http.get("https://site.example/?feed=rss2")
    http.get("https://site.example/s/chan?x=1", params={"before": 5, "cursor": None})
    assert seen == ["https://site.example/?feed=rss2", "https://site.example/s/chan?x=1&before=5"]


def test_malformed_thread_is_a_recorded_reject_and_the_run_goes_on(ws, server):
    server.script(THREAD + P5, {"status": 200, "body": '{"thread": {"post": '})
    results, _ = collect(ws, server)
    with ws.read() as conn:
        rows = conn.execute(select(rejects)).all()
    assert len(rows) == 1 and rows[0].source_file.startswith(server.url + "/xrpc/app.bsky.feed.getPostThread")
    assert "not JSON" in rows[0].reason and rows[0].importer == "collect:bluesky"
    assert results["embassy-astana.bsky.social"].status == "ok"
    assert count_by_platform(ws)["bluesky"] == EXPECTED["bluesky"] - 2  # the two replies it held


def test_malformed_page_is_rejected_and_the_next_run_resumes_there(ws, server):
    page2 = STATUSES + "&max_id=113500000000000103"
    server.script(page2, {"status": 200, "body": "<html><body>Maintenance</body></html>",
                          "headers": {"Content-Type": "text/html"}})
    results, _ = collect(ws, server)
    assert results["embassy_astana@mastodon.social"].status == "error"
    assert results["emb_astana"].status == "ok"
    with ws.read() as conn:
        assert conn.execute(select(func.count()).select_from(rejects)).scalar() == 1
    server.clear_log()
    results, _ = collect(ws, server, platform="mastodon")
    assert results["embassy_astana@mastodon.social"].resumed
    assert server.count(page2) == 1 and server.count(STATUSES) == 1
    log = server.log
    assert log.index(route_key(page2)) < log.index(route_key(STATUSES))  # resumed, then the top
    assert count_by_platform(ws)["mastodon"] == EXPECTED["mastodon"]


def test_deleted_post_is_counted_and_not_asked_for_again(ws, server):
    results, _ = collect(ws, server)
    assert results["embassy-astana.bsky.social"].deleted == 1
    assert results["embassy_astana@mastodon.social"].deleted == 1
    with ws.read() as conn:
        cursor = conn.execute(select(collect_cursors.c.cursor).where(
            collect_cursors.c.collector == "bluesky")).scalar()
    assert cursor["replies_seen"][f"at://{DID}/app.bsky.feed.post/3lbjc2kr5wt2b"] == -1
    server.clear_log()
    collect(ws, server, since=datetime(2026, 11, 1, tzinfo=UTC))
    assert server.count(THREAD + f"at://{DID}/app.bsky.feed.post/3lbjc2kr5wt2b") == 0


def test_replies_fetched_again_when_a_reply_count_grows(ws, server):
    collect(ws, server)
    server.clear_log()
    page = (server.root / "bluesky" / "feed_page1.json").read_text()
    server.script(FEED, {"body": page.replace('"replyCount": 2', '"replyCount": 3', 1)})
    statuses = (server.root / "mastodon" / "statuses_page1.json").read_text()
    server.script(STATUSES, {"body": statuses.replace('"replies_count": 2', '"replies_count": 3', 1)})
    collect(ws, server)
    assert server.count(THREAD + P5) == 1 and server.count(CONTEXT_105) == 1
    assert server.count(STATUSES + "&max_id=113500000000000103") == 0


def test_account_that_disappears_is_logged_and_the_others_go_on(ws, server, caplog):
    collect(ws, server)
    server.set(PROFILE, {"status": 400, "body": '{"error":"AccountDeactivated","message":"Account is deactivated"}'})
    server.set(f"/xrpc/app.bsky.actor.getProfile?actor={DID}",
               {"status": 400, "body": '{"error":"AccountDeactivated","message":"Account is deactivated"}'})
    server.set("/api/v1/accounts/lookup?acct=embassy_astana", {"status": 410, "body": "{}"})
    server.set(TG, {"file": "telegram/no_preview.html"})
    results, _ = collect(ws, server)
    assert results["embassy-astana.bsky.social"].status == "gone"
    assert results["embassy_astana@mastodon.social"].status == "gone"
    assert results["emb_astana"].status == "gone"
    assert results["mfa.example.org"].status == "ok"
    assert count_by_platform(ws) == EXPECTED  # what was collected stays
    assert "deactivated" in caplog.text


def test_web_feed_unchanged_costs_one_conditional_request(ws, server):
    collect(ws, server, platform="web")
    server.clear_log()
    results, _ = collect(ws, server, platform="web")
    assert server.count("/feeds/news.rss") == 1 and server.count("/") == 0  # discovered feed kept
    assert results["embassy-astana.example.org"].counts.read == 0


# --- interrupted runs -------------------------------------------------------------------------


def test_run_killed_mid_collection_resumes_to_the_same_posts(ws, server, tmp_path, template_db):
    reference = workspace_copy(template_db, tmp_path / "reference.db")
    collect(reference, server)

    def crash_after_page_2(result):
        if result.platform == "bluesky" and result.pages == 2:
            raise Crash()

    with pytest.raises(Crash):
        collect(ws, server, on_page=crash_after_page_2)
    server.clear_log()
    results, _ = collect(ws, server)
    assert results["embassy-astana.bsky.social"].resumed
    assert server.count(FEED3) == 1 and server.count(FEED2) == 0  # resumed exactly at page 3
    assert server.count(FEED) == 1  # then one look at the top for what came meanwhile
    assert post_rows(ws) == post_rows(reference)
    assert block_pairs(ws) == block_pairs(reference)
    reference.close()


def test_page_budget_continues_next_run(ws, server, tmp_path):
    for _ in range(4):
        collect(ws, server, platform="telegram", max_pages=1)
    assert count_by_platform(ws)["telegram"] == EXPECTED["telegram"]
    assert server.count(TG + "?before=201") == 1 and server.count(TG + "?before=197") == 1


def test_block_records_are_read_from_the_pds_named_in_the_did_document(server):
    from envoywatch.collect.bluesky import BlueskyCollector

    http = Http(Politeness(min_interval=0))
    collector = BlueskyCollector(http, None, {"plc_url": server.url})
    assert collector.pds_url(DID) == "https://morel.us-east.host.bsky.network"
    assert BlueskyCollector(http, None, {"pds_url": "https://pds.example/"}).pds_url(DID) == "https://pds.example"
    http.close()


# --- small parts ------------------------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after(httpx.Response(429, headers={"Retry-After": "12"})) == 12
    assert retry_after(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(429)) is None
    soon = datetime.now(UTC).timestamp() + 30
    assert 25 < retry_after(httpx.Response(429, headers={"ratelimit-reset": str(int(soon))})) <= 31
    iso = datetime.fromtimestamp(soon, UTC).isoformat()
    assert 25 < retry_after(httpx.Response(429, headers={"x-ratelimit-reset": iso})) <= 31
    assert retry_after(httpx.Response(429, headers={"x-ratelimit-reset": "garbage"})) is None


def test_every_builtin_collector_is_registered_for_a_known_platform():
    from envoywatch.collect import BUILTIN_MODULES, COLLECTORS, Collector, load_builtins
    from envoywatch.domain import PLATFORMS

    load_builtins()
    assert set(COLLECTORS.names()) == set(BUILTIN_MODULES)
    for name in COLLECTORS.names():
        cls = COLLECTORS.get(name)
        assert issubclass(cls, Collector) and cls.platform in PLATFORMS
        assert cls.name == name and (cls.__module__.rsplit(".", 1)[-1] == name)


def test_intervals_views_and_post_paths():
    assert parse_interval("15m") == 900 and parse_interval("30s") == 30 and parse_interval("2h") == 7200
    with pytest.raises(ValueError):
        parse_interval("often")
    assert parse_views("12.3K") == 12300 and parse_views("1.2M") == 1_200_000 and parse_views("") is None
    assert post_path("https://t.me/MFA_Russia/123") == "mfa_russia/123" and post_path("https://t.me/x") is None


HOSTILE = ["", "🇰🇿🔥🔥", "x" * 120_000, "<script>alert(1)</script><img src=x onerror=alert(2)>"]


@pytest.mark.parametrize("text", HOSTILE, ids=["empty", "emoji", "huge", "markup"])
def test_hostile_telegram_text_is_stored_safely(ws, server, text):
    import html

    page = (server.root / "telegram" / "channel_page3.html").read_text()
    page = page.replace("Working hours during the holidays.", html.escape(text))
    server.script(TG, {"body": page, "headers": {"Content-Type": "text/html"}})
    results, _ = collect(ws, server, platform="telegram", account="emb_astana")
    assert results["emb_astana"].status == "ok"
    with ws.read() as conn:
        stored = conn.execute(select(posts.c.text).where(posts.c.platform_id == "emb_astana/196")).scalar()
    assert stored == text[:100_000]


def test_schedule_goes_on_when_a_whole_run_fails(ws, server, monkeypatch):
    import threading

    from envoywatch.collect import runner

    calls = []
    real = runner.run_once

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("workspace unreachable")
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "run_once", flaky)
    summaries = []
    options = RunOptions(base_urls={"*": server.url}, platform="web",
                         politeness=Politeness(min_interval=0))
    runs = runner.run_every(ws, options, 0.01, threading.Event(), summaries.append, max_runs=2)
    assert runs == 2 and "unreachable" in summaries[0].error and summaries[1].error is None
    assert summaries[1].as_dict()["inserted"] == EXPECTED["web"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_telegram_helpers_never_raise(text):
    parse_views(text)
    post_path(text)
    post_path("https://t.me/" + text)
    try:
        parse_interval(text)
    except ValueError:
        pass
