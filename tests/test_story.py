"""The story of an actor: figures with evidence, its renderers, and the `story` command."""

from __future__ import annotations

import orjson
import pytest
from test_events import T0, Workspace, build_case
from typer.testing import CliRunner

from envoywatch.cli import app
from envoywatch.events import detect_all
from envoywatch.story import build_story, render_html, render_markdown, render_text


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from envoywatch.store import open_store

    path = tmp_path_factory.mktemp("story") / "ws.db"
    store = open_store(path)
    ids = build_case(store)
    w = Workspace(store)
    w.post(ids["x"], "<script>alert('x')</script> a certain country again", T0,
           ann={"lang": "en", "countries": [{"code": "US", "veiled": True, "stance": "hostile", "confidence": 0.8,
                                             "clues": ["all its states"]}], "targets": ["US"]})
    detect_all(store)
    yield store, str(path), ids
    store.close()


def test_story_of_an_actor_tells_every_finding(ws):
    store, _, _ = ws
    s = build_story(store, "Embassy of Testland in Kazakhstan")
    assert {a["account"] for a in s["accounts"]} == {"x:embassy", "facebook:ambassador"}
    assert s["frequency"]["posts"] > 60
    top = s["targets"]["top_targets"][0]
    assert top["code"] == "US" and top["evidence"][0]["url"].startswith("https://")
    assert s["veiled"][0]["inferred_target"] == "US" and s["veiled"][0]["clues"] == ["all its states"]
    assert s["crossposts"] and s["backlash"][0]["unprecedented"] and s["blocked_people"] == 45
    assert s["shifts"] and [e["start"] for e in s["events"]] == sorted(e["start"] for e in s["events"])
    assert all(e["evidence"] for e in s["events"])


def test_story_by_account_and_period(ws):
    store, _, _ = ws
    s = build_story(store, "facebook:ambassador")
    assert [a["account"] for a in s["accounts"]] == ["facebook:ambassador"] and s["crossposts"]
    assert build_story(store, "embassy", date_to=T0)["frequency"]["posts"] == 0


def test_unknown_name_lists_close_names(ws):
    with pytest.raises(LookupError, match="Embassy of Testland"):
        build_story(ws[0], "Embassy of Testlnd")


def test_renderers_escape_post_text(ws):
    s = build_story(ws[0], "x:embassy")
    html = render_html(s)
    assert "<script>" not in html and "&lt;script&gt;" in html
    for text in (render_text(s), render_markdown(s)):
        assert "Backlash" in text or "BACKLASH" in text
        assert "45 people said they were blocked" in text


def test_story_command_json_and_formats(ws, tmp_path):
    _, path, _ = ws
    r = CliRunner().invoke(app, ["--db", path, "story", "Embassy of Testland in Kazakhstan", "--json"])
    assert r.exit_code == 0, r.output
    assert orjson.loads(r.stdout)["blocked_people"] == 45
    out = tmp_path / "story.html"
    r = CliRunner().invoke(app, ["--db", path, "story", "x:embassy", "--format", "html", "--output", str(out)])
    assert r.exit_code == 0 and out.read_text().startswith("<!doctype html>")
    r = CliRunner().invoke(app, ["--db", path, "story", "nobody"])
    assert r.exit_code == 2


def test_a_small_share_is_not_written_as_zero() -> None:
    from envoywatch.story.render import _pct

    assert [_pct(1 / 244), _pct(0), _pct(None), _pct(0.17)] == ["<1%", "0%", "0%", "17%"]


def test_a_cross_post_onto_another_actors_account_is_in_both_stories_until_it_no_longer_names_it(tmp_path):
    from envoywatch.events.base import Event, save_events
    from envoywatch.store import open_store
    from envoywatch.web.queries import crosspost_clusters

    store = open_store(tmp_path / "ws.db")
    w = Workspace(store)
    a, b = w.actor("Embassy of Origin"), w.actor("Embassy of Copies")
    xa, xb = w.account("x", "origin_embassy", a), w.account("x", "copies_embassy", b)
    p, q = w.post(xa, "the same line", T0)[0], w.post(xb, "the same line", T0)[0]

    def save(named: list[str]) -> None:
        save_events(store, "crossposts", [Event(type="crosspost", key="post1", start=T0, account_id=xa, actor_id=a,
                                                 summary="copied", evidence=[p, q], data={
            "accounts": named, "origin": {"post": {"id": p}, "account": "x:origin_embassy", "text": "the same line"},
            "copies": [{"post": {"id": q}, "account": "x:copies_embassy", "match": "exact", "lang": "en",
                        "lag_hours": 0.0}]})])

    save(["x:copies_embassy", "x:origin_embassy", "x:nobody_here"])
    assert [len(build_story(store, who)["crossposts"]) for who in ("Embassy of Origin", "Embassy of Copies")] == [1, 1]
    assert [len(crosspost_clusters(store, i)) for i in (p, q)] == [1, 1]  # each post's page lists it
    save(["x:origin_embassy"])  # found again without the copy: its link goes
    assert [len(build_story(store, who)["crossposts"]) for who in ("Embassy of Origin", "Embassy of Copies")] == [1, 0]
    save_events(store, "crossposts", [])  # no longer found at all
    assert build_story(store, "Embassy of Origin")["crossposts"] == []
    store.close()
