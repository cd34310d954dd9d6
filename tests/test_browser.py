"""Real headless Chromium against a real uvicorn server on loopback: XSS suite, click-through, charts, phone."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = os.environ.get("ENVOYWATCH_SCREENSHOTS")  # e.g. docs/screenshots, to refresh the README images
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def ingest_payloads(store, path: Path) -> list[int]:
    """The payloads also go through the real ingest path (X API v2 pages), as text, handles and names."""
    import orjson
    from sqlalchemy import select

    from envoywatch.ingest import ingest
    from envoywatch.store.schema import posts
    from envoywatch.web.sample import XSS_PAYLOADS

    tweets = [{"id": str(9_000_000 + k), "text": p, "author_id": str(700 + k), "lang": "en",
               "created_at": f"2020-02-{1 + k:02d}T10:00:00.000Z", "conversation_id": str(9_000_000 + k)}
              for k, p in enumerate(XSS_PAYLOADS)]
    users = [{"id": str(700 + k), "username": f"evil{k}", "name": p} for k, p in enumerate(XSS_PAYLOADS)]
    path.write_bytes(orjson.dumps({"data": tweets, "includes": {"users": users}}) + b"\n")
    assert ingest(store, [path]).summary()["inserted"] == len(XSS_PAYLOADS)
    with store.read() as conn:
        found = list(conn.execute(select(posts.c.id).where(posts.c.platform_id.like("90000%"))).scalars())
    assert len(found) == len(XSS_PAYLOADS)
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from envoywatch.store import open_store
    from envoywatch.web import create_app
    from envoywatch.web.sample import build_sample

    tmp = tmp_path_factory.mktemp("browser")
    store = open_store(tmp / "ws.db")
    ids = build_sample(store, xss=True)
    ids["ingested"] = ingest_payloads(store, tmp / "hostile-twarc2.jsonl")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(store=store), host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", ids
    srv.should_exit = True
    th.join(10)
    store.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    pg = ctx.new_page()
    pg.add_init_script(WATCH)
    pg.dialogs = []
    pg.errors = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    ctx.close()


def shot(pg, tmp_path, name: str) -> None:
    pg.screenshot(path=str(tmp_path / name), full_page=True)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(SHOTS) / name), full_page=name != "phone-search.png")


def wait_charts(pg, n: int | None = None) -> int:
    pg.wait_for_function("document.querySelectorAll('.chart[data-spec]').length === "
                         "document.querySelectorAll('.chart[data-rendered], .chart[data-error]').length",
                         timeout=30_000)
    assert pg.locator(".chart[data-error]").count() == 0
    done = pg.locator(".chart[data-rendered] svg").count()
    if n is not None:
        assert done == n
    return done


def assert_nothing_ran(pg, where: str) -> None:
    pg.locator("body *:not(svg *)").evaluate_all(
        "els => els.forEach(e => ['mouseover', 'focus', 'toggle', 'load'].forEach(t => e.dispatchEvent(new Event(t))))")
    pg.wait_for_timeout(100)
    assert pg.evaluate("window.__xss") is None, where
    assert pg.evaluate("window.__violations") == [], where  # nothing was even attempted: escaping held
    assert pg.dialogs == [], where
    assert pg.locator("a[href^='javascript:' i], [onerror], [onload], [onmouseover], [ontoggle]").count() == 0, where


def test_xss_payloads_never_execute(server, page, tmp_path):
    base, ids = server
    urls = (["/", "/events", "/search?q=script", "/search?q=onerror", "/country/US", "/actor/1",
             "/account/x:%22%3E%3Csvg%20onload%3Dwindow.__xss%3D20%3E", "/alerts.atom"]
            + [f"/post/{i}" for i in ids["xss"][::2]]  # each payload post shows its payload reply too
            + [f"/post/{i}" for i in ids["ingested"]] + ["/search?q=evil", "/search?account=x:evil3"])
    for url in urls:
        page.goto(base + url)
        if not url.endswith(".atom"):
            wait_charts(page)
        assert_nothing_ran(page, url)
    page.goto(f"{base}/post/{ids['xss'][0]}")
    assert "<script>window.__xss=1</script>" in page.locator("blockquote.post-text").inner_text()
    shot(page, tmp_path, "xss-post.png")
    assert page.errors == []


def test_click_through_overview_actor_post_reply(server, page, tmp_path):
    base, _ = server
    page.goto(base + "/")
    assert wait_charts(page) >= 2  # sparklines
    shot(page, tmp_path, "overview.png")
    page.get_by_role("link", name="Embassy of China in Kazakhstan").click()
    page.wait_for_url("**/actor/*")
    wait_charts(page, 6)
    assert page.locator("text=Host relevance").count() == 1
    shot(page, tmp_path, "actor.png")
    page.locator("a.tag.ev-crosspost").first.wait_for()
    page.locator("tr:has(a.ev-crosspost) td.evidence a").first.click()
    page.wait_for_url("**/post/*")
    assert page.locator("blockquote.post-text").inner_text().startswith("Week 0")
    assert page.locator("table.replies tbody tr").count() > 0
    shot(page, tmp_path, "post.png")
    page.locator("table.replies td.text a").first.click()
    page.wait_for_url("**/post/*")
    assert page.locator("text=In reply to").count() == 1
    page.goto(base + "/events?type=backlash")
    assert page.locator("tbody tr").count() >= 1
    shot(page, tmp_path, "events.png")
    assert page.errors == []


def test_phone_tables_scroll_inside_their_box(server, browser, tmp_path):
    base, _ = server
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    for url in ("/", "/search?q=Washington", "/actor/1", "/events"):
        pg.goto(base + url)
        wait_charts(pg)
        overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (url, overflow)
    pg.goto(base + "/search?q=Washington")
    shot(pg, tmp_path, "phone-search.png")
    ctx.close()
