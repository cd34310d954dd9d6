"""`envoywatch collect` as users run it: once, on a schedule, stopped by SIGTERM, killed and restarted."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from replay_server import ReplayServer
from test_collect import (  # noqa: F401  (template_db is a fixture)
    EXPECTED,
    FEED,
    FEED2,
    FEED3,
    STATUSES,
    collect,
    post_rows,
    template_db,
    workspace_copy,
)
from typer.testing import CliRunner

from envoywatch.cli import app
from envoywatch.store import open_store

TOTAL = sum(EXPECTED.values())


@pytest.fixture
def server():
    with ReplayServer() as s:
        yield s


@pytest.fixture
def db(tmp_path, template_db):
    path = tmp_path / "ws.db"
    shutil.copy(template_db, path)
    return path


class Running:
    """A collect subprocess whose stdout JSON lines are read as they come."""

    def __init__(self, db, server, *args: str) -> None:
        cmd = [sys.executable, "-m", "envoywatch", "--db", str(db), "collect", "--base-url", server.url,
               "--delay", "0", "--json", *args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[dict] = []
        self.got_line = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))
            self.got_line.set()

    def finish(self, timeout: float = 60) -> int:
        rc = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=5)
        self.stderr = self.proc.stderr.read()
        return rc


def reference_rows(tmp_path, server, template) -> set:
    ref = workspace_copy(template, tmp_path / "reference.db")
    collect(ref, server)
    rows = post_rows(ref)
    ref.close()
    server.clear_log()
    return rows


def rows_of(db) -> set:
    store = open_store(db)
    rows = post_rows(store)
    store.close()
    return rows


def test_collect_once_prints_one_json_summary(db, server):
    result = CliRunner().invoke(app, ["--db", str(db), "collect", "--base-url", server.url,
                                      "--delay", "0", "--json"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["inserted"] == TOTAL and summary["accounts_ok"] == 5 and summary["accounts_failed"] == 3
    assert {a["status"] for a in summary["accounts"]} == {"ok", "gone"}


def test_collect_filters_by_platform_and_account(db, server):
    result = CliRunner().invoke(app, ["--db", str(db), "collect", "--base-url", server.url, "--delay", "0",
                                      "--platform", "telegram", "--account", "emb_astana", "--json"])
    summary = json.loads(result.stdout)
    assert [a["account"] for a in summary["accounts"]] == ["emb_astana"]
    assert summary["inserted"] == EXPECTED["telegram"]


def test_collect_explains_bad_options(db, server):
    runner = CliRunner()
    bad = runner.invoke(app, ["--db", str(db), "collect", "--platform", "myspace"])
    assert bad.exit_code == 2 and "platform" in bad.output
    bad = runner.invoke(app, ["--db", str(db), "collect", "--every", "sometimes"])
    assert bad.exit_code == 2 and "--every" in bad.output
    bad = runner.invoke(app, ["--db", str(db), "collect", "--account", "nobody", "--base-url", server.url])
    assert bad.exit_code == 2 and "no watched account" in bad.output


@pytest.mark.slow
def test_every_survives_the_failure_cases(db, server, tmp_path, template_db):
    expected = reference_rows(tmp_path, server, template_db)
    server.script(FEED2, {"status": 429, "headers": {"Retry-After": "1"}})
    server.script(STATUSES, {"status": 500, "body": "error"})
    server.script(STATUSES + "&max_id=113500000000000103", {"status": 200, "body": "not json at all"})
    server.script("/s/emb_astana", *[{"status": 503}] * 3)
    running = Running(db, server, "--every", "0.2s", "--runs", "3", "--retries", "2", "--backoff", "0.05")
    assert running.finish() == 0, running.stderr
    assert len(running.lines) == 3
    first = {a["account"]: a for a in running.lines[0]["accounts"]}
    assert first["embassy_astana@mastodon.social"]["status"] == "error"  # the malformed page
    assert first["emb_astana"]["status"] == "error"  # 503 past the retries
    assert first["embassy-astana.bsky.social"]["status"] == "ok"  # waited out the 429
    second = {a["account"]: a for a in running.lines[1]["accounts"]}
    assert second["embassy_astana@mastodon.social"]["resumed"] and second["emb_astana"]["status"] == "ok"
    assert rows_of(db) == expected
    assert running.lines[2]["inserted"] == 0


@pytest.mark.slow
def test_sigterm_between_runs_stops_cleanly(db, server):
    running = Running(db, server, "--every", "1h")
    assert running.got_line.wait(60), "no first summary"
    running.proc.send_signal(signal.SIGTERM)
    assert running.finish(timeout=20) == 0
    assert len(running.lines) == 1 and not running.lines[0]["stopped"]


@pytest.mark.slow
def test_sigterm_mid_run_commits_the_page_and_the_next_start_resumes(db, server, tmp_path, template_db):
    expected = reference_rows(tmp_path, server, template_db)
    server.script(FEED2, {"delay": 1.0, "fallthrough": True})
    running = Running(db, server, "--every", "1h")
    assert server.requested(FEED2).wait(60)
    running.proc.send_signal(signal.SIGTERM)
    assert running.finish(timeout=30) == 0, running.stderr
    summary = running.lines[-1]
    assert summary["stopped"]
    bsky = next(a for a in summary["accounts"] if a["account"] == "embassy-astana.bsky.social")
    assert bsky["pages"] == 2  # page 2 was written before stopping
    server.clear_log()
    again = Running(db, server)
    assert again.finish() == 0
    assert server.count(FEED2) == 0 and server.count(FEED3) == 1
    assert rows_of(db) == expected


@pytest.mark.slow
def test_killed_process_restarted_ends_with_the_same_posts(db, server, tmp_path, template_db):
    expected = reference_rows(tmp_path, server, template_db)
    server.script(FEED3, {"delay": 30, "fallthrough": True})
    running = Running(db, server)
    assert server.requested(FEED3).wait(60)
    time.sleep(0.2)
    running.proc.kill()
    assert running.finish() == -signal.SIGKILL
    partial = rows_of(db)
    assert 0 < len(partial) < len(expected)
    server.clear_log()
    again = Running(db, server)
    assert again.finish() == 0
    assert server.count(FEED) == 1 and server.count(FEED2) == 0  # resumed at page 3, then the top
    assert rows_of(db) == expected
