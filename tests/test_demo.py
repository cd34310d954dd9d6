"""`make demo`'s path end to end (`envoywatch demo --no-serve`): the story tells the whole case."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from envoywatch.cli import app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--out", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out, result.stdout


def _json_lines(args: list[str]) -> list[dict]:
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    return [orjson.loads(line) for line in r.stdout.splitlines() if line.strip()]


def test_demo_writes_workspace_report_and_prints_the_story(demo):
    out, stdout = demo
    assert (out / "envoywatch.db").exists()
    report = (out / "report.html").read_text()
    assert "<script src=\"http" not in report  # self-contained, no CDN
    text = stdout.lower()
    for finding in ("veiled", "cross-post", "backlash", "blocked", "shift"):
        assert finding in text, finding


def test_demo_events_cover_all_six_findings(demo):
    out, _ = demo
    db = str(out / "envoywatch.db")
    events = _json_lines(["--db", db, "events", "--json"])
    types = {e["type"] for e in events}
    assert {"crosspost", "backlash", "block_reports", "shift"} <= types
    assert all(e["evidence"] for e in events)
    waves = [e for e in events if e["type"] == "backlash"]
    assert any(w.get("unprecedented") for w in waves)
    story = _json_lines(["--db", db, "story", "Embassy of China in Kazakhstan", "--json"])[0]
    top = story["targets"]["top_targets"]
    assert top and top[0]["code"] == "US"
    assert any(v.get("inferred_target") == "US" for v in story["veiled"])
    assert story["shifts"] and story["block_reports"]


def test_demo_run_again_inserts_nothing_new(demo):
    out, _ = demo
    again = CliRunner().invoke(app, ["demo", "--no-serve", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert ": 0 new," in again.stderr
