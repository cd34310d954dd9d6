"""The dashboard and JSON API in-process: pages, API shapes, filters, escaping, headers and tokens."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from envoywatch.store import open_store
from envoywatch.store.schema import api_tokens
from envoywatch.web import create_app
from envoywatch.web.sample import XSS_PAYLOADS, build_sample
from envoywatch.web.security import create_token, revoke_token, script_json


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("web") / "ws.db")
    ids = build_sample(store, xss=True)
    yield store, ids
    store.close()


@pytest.fixture(scope="module")
def client(ws, tmp_path_factory):
    app = create_app(store=ws[0], alerts_config=str(tmp_path_factory.mktemp("alerts") / "alerts.yaml"))
    with TestClient(app) as c:
        yield c


def pages(ids):
    return ["/", "/search", "/search?q=Washington", "/actor/1", f"/actor/{ids['ambassador']}",
            "/account/x:chinaembkz", f"/post/{ids['posts'][0]}", f"/post/{ids['replies'][0]}",
            f"/post/{ids['xss'][0]}", f"/post/{ids['xss'][1]}", "/events", "/events?type=backlash",
            "/countries", "/country/US", "/country/KZ", "/alerts.atom"]


def test_every_page_answers_with_security_headers(client, ws):
    for url in pages(ws[1]):
        r = client.get(url)
        assert r.status_code == 200, url
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_unknown_things_are_404_not_500(client):
    assert client.get("/actor/nobody-here").status_code == 404
    assert client.get("/post/999999").status_code == 404
    assert client.get("/api/posts/999999").status_code == 404
    assert client.get("/api/actors/nobody").status_code == 404
    assert client.get("/api/story/nobody").status_code == 404
    assert client.get("/post/notanumber").status_code == 422


def test_api_posts_shape_pagination_and_filters(client):
    r = client.get("/api/posts", params={"per_page": 10}).json()
    assert set(r) >= {"items", "page", "per_page", "total"} and r["page"] == 1 and len(r["items"]) == 10
    p2 = client.get("/api/posts", params={"per_page": 10, "page": 2}).json()
    assert {i["id"] for i in p2["items"]}.isdisjoint({i["id"] for i in r["items"]})
    item = r["items"][0]
    assert {"id", "platform", "account", "created_at", "text", "lang", "analysed"} <= set(item)
    us = client.get("/api/posts", params={"target": "US", "account": "x:chinaembkz", "per_page": 500}).json()
    assert us["total"] == 27 and all("US" in i["targets"] for i in us["items"])
    words = client.get("/api/posts", params={"q": "cooperation"}).json()
    assert words["total"] > 0 and all("cooperation" in i["text"] for i in words["items"])
    dated = client.get("/api/posts", params={"from": "2020-03-09", "to": "2020-03-16", "account": "x:chinaembkz"})
    assert dated.json()["total"] == 3
    assert client.get("/api/posts", params={"lang": "ru"}).json()["total"] == 12
    tech = client.get("/api/posts", params={"technique": "name_calling"}).json()
    assert tech["total"] == 36


def test_hostile_query_strings_are_plain_data(client):
    for q in ["' OR 1=1 --", '"; DROP TABLE posts; --', "NEAR(a b)", "*", "\x00", "a" * 5000]:
        r = client.get("/api/posts", params={"q": q})
        assert r.status_code == 200 and isinstance(r.json()["total"], int)
        assert client.get("/search", params={"q": q, "page": "x", "from": "garbage"}).status_code == 200
    assert client.get("/api/posts").json()["total"] > 0  # the table is still there


def test_events_api_filters_and_evidence(client):
    r = client.get("/api/events", params={"type": "backlash"}).json()
    assert r["total"] >= 1 and all(e["type"] == "backlash" for e in r["items"])
    e = r["items"][0]
    assert {"type", "account", "start", "evidence"} <= set(e) and e["evidence"][0]["id"]
    assert client.get("/api/events", params={"type": "shift"}).json()["total"] == 1


def test_actor_api_series_and_host_relevance(client):
    d = client.get("/api/actors/Embassy of China in Kazakhstan").json()
    s = d["series"]
    assert d["subject"]["host_country"] == "KZ" and s["posts_per_week"] and s["targets_per_week"]
    assert s["host_relevance"]["targets"][0]["country"] == "US"
    assert s["host_relevance"]["host_share_of_targets"] == 0.0
    wave = max(s["replies_per_week"], key=lambda w: w["replies"])
    assert wave["week"] == "2020-03-02" and wave["hostile_share"] == 1.0
    assert set(d["charts"]) >= {"posts", "targets", "undiplomatic", "techniques", "replies", "blocks"}
    assert client.get("/api/actors/x:chinaembkz").json()["subject"]["kind"] == "account"


def test_post_api_has_replies_crossposts_and_country_page(client, ws):
    ids = ws[1]
    d = client.get(f"/api/posts/{ids['posts'][0]}").json()
    assert d["replies"] and d["crossposts"] and d["crossposts"][0]["type"] == "crosspost"
    c = client.get("/api/countries/US").json()
    assert c["accounts"][0]["account"] == "x:chinaembkz" and c["accounts"][0]["since"].startswith("2020-01-06")


def test_story_endpoint_is_clear_when_missing(client):
    r = client.get("/api/story/1")
    assert r.status_code in (200, 501)
    if r.status_code == 200:
        assert r.json()["narrative"] and "targets" in r.json()


def test_openapi_lists_the_stable_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/posts", "/api/events", "/api/story/{who}", "/api/actors/{who}", "/api/countries/{code}"):
        assert p in paths


RAW_MARKERS = ("<script>window", "<img src=x onerror", "<svg onload", "<iframe srcdoc", "<details open",
               "<body onload", 'href="javascript:')


def test_user_text_is_escaped_everywhere(client, ws):
    for url in pages(ws[1]) + ["/search?q=script", "/search?account=x:%22%3E%3Csvg%20onload%3Dwindow.__xss%3D20%3E"]:
        body = client.get(url).text
        for m in RAW_MARKERS:
            assert m not in body, (url, m)
        for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', body, re.DOTALL):
            assert "<" not in block and json.loads(block)


def test_script_json_cannot_close_its_block():
    s = script_json({"t": "</script><script>x()</script>\u2028&"})
    assert "</" not in s and "<" not in s and "\u2028" not in s and json.loads(s)["t"].startswith("</script>")


def test_escaped_payload_text_is_still_shown(client, ws):
    body = client.get(f"/post/{ws[1]['xss'][0]}").text
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in body
    assert XSS_PAYLOADS[0] not in body


def test_writes_need_a_live_token_stored_hashed(client, ws):
    store = ws[0]
    row = {"actor": "Embassy of Russia in Kazakhstan", "role": "embassy", "sending_country": "RU",
           "host_country": "KZ", "platform": "telegram", "handle": "rusembkz"}
    assert client.post("/api/accounts", json=row).status_code == 401
    assert client.post("/api/accounts", json=row, headers={"Authorization": "Bearer nope"}).status_code == 401
    tok = create_token(store, "test")
    with store.read() as conn:
        hashes = list(conn.execute(select(api_tokens.c.token_hash)).scalars())
    assert tok["token"] not in hashes and all(h.startswith("sha256:") for h in hashes)
    auth = {"Authorization": f"Bearer {tok['token']}"}
    assert client.post("/api/accounts", json=row, headers=auth).status_code == 201
    assert client.post("/api/accounts", json={**row, "platform": "myspace"}, headers=auth).status_code == 422
    revoke_token(store, tok["id"])
    assert client.post("/api/accounts", json=row, headers=auth).status_code == 401


def test_alert_rules_through_the_api(client, ws):
    tok = create_token(ws[0], "rules")["token"]
    rule = {"name": "waves", "kind": "backlash", "channels": ["atom"]}
    assert client.post("/api/alerts/rules", json=rule).status_code == 401
    auth = {"Authorization": f"Bearer {tok}"}
    assert client.post("/api/alerts/rules", json=rule, headers=auth).status_code == 201
    assert client.post("/api/alerts/rules", json={"name": "x", "kind": "nope"}, headers=auth).status_code == 422
    assert [r["name"] for r in client.get("/api/alerts/rules").json()["items"]] == ["waves"]
    assert client.delete("/api/alerts/rules/waves").status_code == 401
    assert client.delete("/api/alerts/rules/waves", headers=auth).status_code == 200
    assert client.get("/api/alerts/rules").json()["total"] == 0


def test_dashboard_exports(client):
    r = client.get("/export.csv", params={"account": "x:chinaembkz"})
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf") and "attachment" in r.headers[
        "content-disposition"]
    assert client.get("/export.jsonl").status_code == 200
    assert client.get("/export.parquet").content[:4] == b"PAR1"
    assert client.get("/export.exe").status_code == 404


def test_static_vendor_files_are_local(client):
    for f in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "vega-interpreter.js"):
        assert client.get(f"/static/vendor/{f}").status_code == 200
    html = client.get("/").text
    assert "http://" not in re.sub(r'href="[^"]*"', "", html.split("<main>")[0])
    assert not re.search(r'<script[^>]+src="https?://', html) and "fonts.googleapis" not in html


def test_pages_on_sqlite_and_postgresql(db_url):
    """The same pages and API on both workspace databases (PostgreSQL when CI provides one)."""
    store = open_store(db_url)
    ids = build_sample(store, weeks=10, replies_per_week=2, xss=True)
    with TestClient(create_app(store=store)) as c:
        for url in ("/", "/actor/1", f"/post/{ids['posts'][0]}", "/events?type=shift", "/country/US",
                    "/search?q=Washington&target=US", "/export.parquet"):
            assert c.get(url).status_code == 200, url
        assert c.get("/api/posts", params={"q": "cooperation", "from": "2020-03-01"}).json()["total"] == 4  # 3 + a copy
    store.close()


def test_triggering_analysis_needs_a_token_and_reports_its_job(client, ws):
    assert client.post("/api/analyze").status_code == 401
    assert client.post("/api/collect").status_code == 401
    auth = {"Authorization": f"Bearer {create_token(ws[0], 'jobs')['token']}"}
    r = client.post("/api/collect", params={"platform": "mastodon"}, headers=auth)
    assert r.status_code == 202 and r.json()["started"] is True
    import time

    for _ in range(100):
        job = client.get("/api/jobs").json()["collect"]
        if job["state"] != "running":
            break
        time.sleep(0.1)
    assert job["state"] in ("done", "failed") and "finished_at" in job


def test_page_cache_single_flight_computes_once_while_others_wait():
    """Concurrent misses of one key run one computation; the others get its value (or its error)."""
    import threading
    import time as _time

    from envoywatch.web.app import PageCache

    class _NoStore:
        dialect, path = "sqlite", None

    cache = PageCache(_NoStore(), recheck=1e9)
    cache._checked = _time.monotonic()  # a fixed fingerprint: no database is read
    calls, results = [], []

    def slow():
        calls.append(1)
        _time.sleep(0.2)
        return {"n": len(calls)}

    threads = [threading.Thread(target=lambda: results.append(cache.get(("k",), slow))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and results == [{"n": 1}] * 6

    def boom():
        _time.sleep(0.1)
        raise ValueError("bad")

    errors = []

    def ask():
        try:
            cache.get(("e",), boom)
        except ValueError as e:
            errors.append(str(e))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == ["bad"] * 3
    assert cache.get(("e",), lambda: 7) == 7  # a failure is not cached


def test_stacked_charts_draw_the_largest_series_and_fold_the_rest_per_week():
    from envoywatch.web import charts

    rows = [{"week": f"2020-01-{6 + 7 * (i % 3):02d}", "country": f"C{i:02d}", "posts": 30 - i} for i in range(25)]
    drawn = charts._top(rows, "country", "other countries")
    assert len({r["country"] for r in drawn}) == charts.SERIES
    assert sum(r["posts"] for r in drawn) == sum(r["posts"] for r in rows)  # nothing lost, only folded
    assert {r["country"] for r in drawn} - {"other countries"} == {f"C{i:02d}" for i in range(charts.SERIES - 1)}
    few = rows[:charts.SERIES]
    assert charts._top(few, "country", "other countries") == few


def test_every_page_title_is_plain_text(client):
    for path in ("/", "/search", "/events", "/countries", "/actor/1"):
        title = re.search(r"<title>(.*?)</title>", client.get(path).text, re.DOTALL).group(1)
        assert "<" not in title and title.endswith("· envoywatch"), (path, title)


def test_the_actor_page_shows_what_its_json_holds(client):
    """The page computes only what it shows (story for its narrative, evidence as ids): the same events,
    evidence and narrative as the JSON of the same actor."""
    data = client.get("/api/actors/1").json()
    html = client.get("/actor/1").text
    assert data["events"] and data["story"]["narrative"]
    for e in data["events"]:
        for ev in e["evidence"][:8]:
            assert f'href="/post/{ev["id"]}"' in html and ev.get("url")  # the JSON keeps the links
    for sec in data["story"]["narrative"]:
        assert sec["title"] in html
