"""Alerts delivered once to a webhook receiver and an SMTP sink on loopback, and to the Atom feed."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from xml.etree import ElementTree as ET

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from envoywatch.alerts import Rule, evaluate, load_config, run_alerts
from envoywatch.cli import app
from envoywatch.store import open_store
from envoywatch.web import create_app
from envoywatch.web.sample import build_sample


class Receiver(BaseHTTPRequestHandler):
    got: ClassVar[list[dict]] = []
    fail = False

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.fail:
            self.send_response(503)
        else:
            Receiver.got.append(json.loads(body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


@pytest.fixture
def webhook():
    Receiver.got, Receiver.fail = [], False
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hook"
    srv.shutdown()


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    class Sink:
        messages: ClassVar[list] = []

        async def handle_DATA(self, server, session, envelope):
            Sink.messages.append(envelope)
            return "250 OK"

    with socket.socket() as s:  # a free loopback port (the controller cannot take port 0)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctl = Controller(Sink(), hostname="127.0.0.1", port=port)
    ctl.start()
    yield ctl, Sink.messages
    ctl.stop()


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "ws.db"
    store = open_store(path)
    build_sample(store, replies_per_week=2, xss=True)
    yield store, path
    store.close()


def config(webhook: str, smtp_port: int) -> dict:
    return {"base_url": "http://127.0.0.1:8000",
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "alerts@envoywatch.test"},
            "rules": [
                {"name": "waves", "kind": "backlash", "channels": ["webhook", "atom", "email"],
                 "webhook": webhook, "email": ["desk@newsroom.test"]},
                {"name": "blocks", "kind": "block_reports", "min_reports": 3, "channels": ["webhook"],
                 "webhook": webhook},
                {"name": "shift", "kind": "shift", "actor": "x:chinaembkz", "channels": ["atom"]},
                {"name": "copies", "kind": "crosspost", "channels": ["atom"]},
                {"name": "new-targets", "kind": "new_target", "min_history": 0, "channels": ["atom"]},
            ]}


def test_each_alert_is_sent_once_even_after_restart(ws, webhook, smtp_sink):
    store, path = ws
    ctl, mails = smtp_sink
    cfg = config(webhook, ctl.port)
    first = run_alerts(store, cfg)
    assert first["failed"] == 0 and first["sent"] > 0
    kinds = sorted(m["kind"] for m in Receiver.got)
    assert kinds == ["backlash", "backlash", "block_reports"]
    assert all(m["link"].startswith("http://127.0.0.1:8000/") for m in Receiver.got)
    assert len(mails) == 2 and mails[0].rcpt_tos == ["desk@newsroom.test"]
    store.close()
    again = run_alerts(open_store(path), cfg)  # a restart: a fresh process on the same workspace
    assert again["sent"] == 0 and again["already_sent"] == first["sent"]
    assert len(Receiver.got) == 3 and len(mails) == 2


def test_failed_delivery_is_retried_next_run(ws, webhook):
    store, _ = ws
    cfg = {"rules": [{"name": "w", "kind": "backlash", "channels": ["webhook"], "webhook": webhook}]}
    Receiver.fail = True
    r = run_alerts(store, cfg)
    assert r["sent"] == 0 and r["failed"] == 2 and "503" in r["errors"][0]
    Receiver.fail = False
    assert run_alerts(store, cfg)["sent"] == 2 and run_alerts(store, cfg)["sent"] == 0


def test_new_target_needs_history(ws):
    store, _ = ws
    assert evaluate(store, Rule.from_dict({"name": "a", "kind": "new_target", "min_history": 0}))
    assert not evaluate(store, Rule.from_dict({"name": "b", "kind": "new_target", "min_history": 10_000}))
    with pytest.raises(ValueError):
        Rule.from_dict({"name": "c", "kind": "backlash", "channels": ["webhook"]})


def test_atom_feed_lists_delivered_alerts_escaped(ws, tmp_path):
    store, _ = ws
    cfg_path = tmp_path / "alerts.yaml"
    cfg = {"rules": [{"name": "waves", "kind": "backlash", "channels": ["atom"]}]}
    cfg_path.write_text(yaml.safe_dump(cfg))
    client = TestClient(create_app(store=store, alerts_config=str(cfg_path)))
    empty = ET.fromstring(client.get("/alerts.atom").content)
    assert not empty.findall("{http://www.w3.org/2005/Atom}entry")
    run_alerts(store, load_config(cfg_path))
    r = client.get("/alerts.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    entries = ET.fromstring(r.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 2  # the real wave and the hostile-text one, each once
    summaries = [e.find("{http://www.w3.org/2005/Atom}summary").text for e in entries]
    assert any("<script>" in s for s in summaries)  # parsed back as text: it was escaped in the XML
    assert b"<script>" not in r.content


def test_cli_alerts_run(ws, webhook, tmp_path):
    _, path = ws
    cfg = tmp_path / "alerts.yaml"
    cfg.write_text(yaml.safe_dump({"rules": [{"name": "w", "kind": "backlash", "channels": ["webhook"],
                                              "webhook": webhook}]}))
    runner = CliRunner()
    r = runner.invoke(app, ["--db", str(path), "--json", "alerts", "run", "--config", str(cfg)])
    assert r.exit_code == 0 and json.loads(r.stdout)["sent"] == 2
    r = runner.invoke(app, ["--db", str(path), "--json", "alerts", "run", "--config", str(cfg)])
    assert json.loads(r.stdout)["sent"] == 0
    bad = runner.invoke(app, ["--db", str(path), "alerts", "run", "--config", str(tmp_path / "none.yaml")])
    assert bad.exit_code == 2


@pytest.fixture
def sampled(store):
    """The sample workspace on each engine."""
    build_sample(store, replies_per_week=2)
    return store, None


@pytest.mark.parametrize("kept", [True, False])
def test_new_target_alerts_count_the_posts_before_each_first_hostile_mention(sampled, kept, monkeypatch):
    """From the actor pages' kept rows (the sample leaves them fresh) or from every hostile mention."""
    from sqlalchemy import select

    from envoywatch.store import page_sums
    from envoywatch.store.schema import accounts, mentions, posts
    from envoywatch.timeutil import as_utc

    store, _ = sampled
    with store.read() as conn:
        assert page_sums.watched_ids(conn) is not None
    if not kept:
        monkeypatch.setattr(page_sums, "watched_ids", lambda conn: None)
    found = evaluate(store, Rule.from_dict({"name": "a", "kind": "new_target", "min_history": 0}))
    with store.read() as conn:
        rows = conn.execute(select(accounts.c.platform, accounts.c.handle, posts.c.id, posts.c.created_at,
                                   mentions.c.code, mentions.c.stance)
                            .select_from(posts.join(accounts, accounts.c.id == posts.c.account_id)
                                         .outerjoin(mentions, mentions.c.post_id == posts.c.id))
                            .where(accounts.c.watched.is_(True))).all()
    expected = {}
    for platform, handle, _, at, code, stance in rows:
        if stance == "hostile" and code and at is not None:
            key = (f"{platform}:{handle}", code)
            expected[key] = min(expected.get(key, as_utc(at)), as_utc(at))
    want = {}
    for (acc, code), first in expected.items():
        times = {(i, as_utc(t)) for p, h, i, t, _, _ in rows if f"{p}:{h}" == acc and t is not None}
        n = sum(1 for _, t in times if t < first)
        if n >= 0:
            want[(acc, code)] = f"First hostile post about {code} after {n} earlier posts."
    assert found and {(a.data["account"], a.data["country"]): a.summary for a in found} == want
