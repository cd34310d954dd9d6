"""`envoywatch serve` as a real process on loopback, and the `tokens` commands."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from envoywatch.cli import app
from envoywatch.store import open_store
from envoywatch.web.sample import build_sample


def test_tokens_create_list_revoke(tmp_path):
    db = str(tmp_path / "ws.db")
    runner = CliRunner()
    made = json.loads(runner.invoke(app, ["--db", db, "--json", "tokens", "create", "analyst laptop"]).stdout)
    assert made["token"].startswith("ew_") and len(made["token"]) > 40
    listed = [json.loads(x) for x in runner.invoke(app, ["--db", db, "--json", "tokens", "list"]).stdout.splitlines()]
    assert listed == [{"id": made["id"], "name": "analyst laptop", "created_at": made["created_at"], "revoked": False}]
    assert made["token"] not in Path(db).read_bytes().decode("latin-1")
    assert runner.invoke(app, ["--db", db, "tokens", "revoke", str(made["id"])]).exit_code == 0
    assert runner.invoke(app, ["--db", db, "tokens", "revoke", "999"]).exit_code == 2


def test_serve_on_loopback(tmp_path):
    db = tmp_path / "ws.db"
    build_sample(open_store(db), weeks=4, replies_per_week=2)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).with_name("envoywatch")
    proc = subprocess.Popen([str(exe), "--db", str(db), "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base, r = f"http://127.0.0.1:{port}", None
        for _ in range(300):
            try:
                r = httpx.get(base + "/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert r is not None and r.status_code == 200 and "Embassy of China in Kazakhstan" in r.text
        assert "default-src 'self'" in r.headers["content-security-policy"]
        api = httpx.get(base + "/api/posts", params={"account": "x:chinaembkz"}).json()
        assert api["total"] == 12 and api["page"] == 1
        assert httpx.post(base + "/api/analyze").status_code == 401
    finally:
        proc.terminate()
        proc.wait(10)
