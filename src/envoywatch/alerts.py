"""Alerts: rules over events and targets, delivered once each to a webhook, email, and the Atom feed."""

from __future__ import annotations

import os
import smtplib
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import yaml
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from envoywatch.queries import account_condition, list_events
from envoywatch.store import page_sums
from envoywatch.store.db import Store
from envoywatch.store.schema import accounts, actors, alerts_sent, mentions, page_targets, posts
from envoywatch.timeutil import as_utc, iso, utcnow

KINDS = ("new_target", "backlash", "block_reports", "crosspost", "shift")
CHANNELS = ("atom", "webhook", "email")
ATOM = "http://www.w3.org/2005/Atom"


@dataclass
class Rule:
    """One alert rule: what to watch for, for whom, and where to send it."""

    name: str
    kind: str
    actor: str | None = None  # actor name or "platform:handle"; None for every watched account
    min_reports: int = 1  # block_reports: alert only when an event has at least this many reports
    min_history: int = 10  # new_target: posts the account must have had before the country is "new"
    channels: list[str] = field(default_factory=lambda: ["atom"])
    webhook: str | None = None
    email: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Rule:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        r = cls(**known)
        r.name = str(r.name).strip()[:200]
        if not r.name:
            raise ValueError("a rule needs a name")
        if r.kind not in KINDS:
            raise ValueError(f"kind {r.kind!r} is not one of {', '.join(KINDS)}")
        if isinstance(r.channels, str):
            r.channels = [r.channels]
        bad = [c for c in r.channels if c not in CHANNELS]
        if bad:
            raise ValueError(f"channels {bad} are not among {', '.join(CHANNELS)}")
        if "webhook" in r.channels and not (r.webhook or "").startswith(("http://", "https://")):
            raise ValueError("a webhook channel needs an http(s) 'webhook' URL")
        if isinstance(r.email, str):
            r.email = [r.email]
        if "email" in r.channels and not r.email:
            raise ValueError("an email channel needs 'email' recipients")
        r.min_reports, r.min_history = int(r.min_reports), int(r.min_history)
        return r

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Alert:
    rule: str
    key: str
    kind: str
    title: str
    summary: str
    when: str | None
    link: str  # path on the dashboard
    data: dict[str, Any] = field(default_factory=dict)

    def payload(self, base_url: str = "") -> dict[str, Any]:
        return {**asdict(self), "link": base_url + self.link}


def config_path(state: Any = None) -> Path:
    """The alert config: set on the app, else $ENVOYWATCH_ALERTS, else beside the SQLite workspace."""
    explicit = getattr(state, "alerts_config", None) or os.environ.get("ENVOYWATCH_ALERTS")
    if explicit:
        return Path(explicit)
    store = getattr(state, "store", None)
    if store is not None and store.path is not None:
        return store.path.with_name(store.path.stem + ".alerts.yaml")
    return Path("envoywatch-alerts.yaml")


def load_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"rules": []}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with 'rules'")  # noqa: TRY004  (a config error, reported as such)
    return data


def load_rules(path: Path) -> list[Rule]:
    return [Rule.from_dict(r) for r in load_config(path).get("rules") or []]


def save_rules(path: Path, rules: list[Rule]) -> None:
    """Write the rules back, keeping the rest of the config (SMTP settings)."""
    data = load_config(path)
    data["rules"] = [r.as_dict() for r in rules]
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(path)


def _event_alerts(store: Store, rule: Rule) -> list[Alert]:
    out = []
    for e in list_events(store, type=rule.kind, account=rule.actor):
        if rule.kind == "block_reports":
            n = e.get("reports") or e.get("count") or len(e["evidence"])
            if n < rule.min_reports:
                continue
        who = e["account"] or e["actor"] or "?"
        out.append(Alert(rule.name, e["key"], rule.kind, f"{rule.kind.replace('_', ' ')}: {who}",
                         e["summary"] or "", e["start"], f"/events?type={rule.kind}",
                         {"event_id": e["id"], "account": e["account"], "actor": e["actor"], "score": e["score"],
                          "evidence": [ev["id"] for ev in e["evidence"]]}))
    return out


def _firsts(conn, rule: Rule):
    """(account id, platform, handle, code, first) of each watched account's first hostile mention of each
    country: from the actor pages' kept rows when they count every post, else from every hostile mention."""
    if page_sums.watched_ids(conn) is not None:
        t = page_targets.c
        found, code, first = page_targets.join(accounts, accounts.c.id == t.account_id), t.code, t.first_at
        where = [t.stance == "hostile"]
    else:
        found = mentions.join(posts, posts.c.id == mentions.c.post_id).join(accounts, accounts.c.id == posts.c.account_id)
        code, first = mentions.c.code, posts.c.created_at
        where = [mentions.c.stance == "hostile", mentions.c.code.is_not(None)]
    q = (select(accounts.c.id, accounts.c.platform, accounts.c.handle, code.label("code"),
                func.min(first).label("first"))
         .select_from(found.outerjoin(actors, actors.c.id == accounts.c.actor_id))
         .where(*where, accounts.c.watched.is_(True))
         .group_by(accounts.c.id, accounts.c.platform, accounts.c.handle, code))
    return q.where(account_condition(rule.actor)) if rule.actor else q


def _new_target_alerts(store: Store, rule: Rule) -> list[Alert]:
    """First hostile mention of each country by an account that already had `min_history` posts."""
    out = []
    with store.read() as conn:
        firsts = _firsts(conn, rule).subquery()
        earlier = posts.alias("earlier")  # the account's posts before each first: counted in the same statement
        history = (select(func.count()).where(earlier.c.account_id == firsts.c.id, earlier.c.created_at < firsts.c.first)
                   .scalar_subquery().label("before"))
        for r in conn.execute(select(firsts, history)).all():
            before = r.before
            if before < rule.min_history:
                continue
            acc = f"{r.platform}:{r.handle}"
            out.append(Alert(rule.name, f"new_target:{acc}:{r.code}", "new_target",
                             f"new target: {acc} attacks {r.code}",
                             f"First hostile post about {r.code} after {before} earlier posts.",
                             iso(as_utc(r.first)), f"/country/{r.code}", {"account": acc, "country": r.code}))
    return out


def evaluate(store: Store, rule: Rule) -> list[Alert]:
    """Everything this rule matches now (delivered or not)."""
    return _new_target_alerts(store, rule) if rule.kind == "new_target" else _event_alerts(store, rule)


def _sent(store: Store) -> set[tuple[str, str, str]]:
    with store.read() as conn:
        return set(conn.execute(select(alerts_sent.c.rule, alerts_sent.c.event_key, alerts_sent.c.channel)).all())


def _record(store: Store, rule: str, key: str, channel: str) -> bool:
    try:
        with store.write() as conn:
            conn.execute(insert(alerts_sent).values(rule=rule, event_key=key, channel=channel, sent_at=utcnow()))
        return True
    except IntegrityError:  # another runner got there first: it is sent once
        return False


def send_webhook(url: str, alert: Alert, base_url: str) -> None:
    r = httpx.post(url, json=alert.payload(base_url), timeout=10,
                   headers={"User-Agent": "envoywatch-alerts", "Content-Type": "application/json"})
    r.raise_for_status()


def send_email(smtp: dict[str, Any], to: list[str], alert: Alert, base_url: str) -> None:
    msg = EmailMessage()
    msg["Subject"] = "[envoywatch] " + " ".join(alert.title.split())[:200]
    msg["From"] = smtp.get("from", "envoywatch@localhost")
    msg["To"] = ", ".join(to)
    msg.set_content(f"{alert.title}\n\n{alert.summary}\n\nWhen: {alert.when}\n{base_url}{alert.link}\n")
    with smtplib.SMTP(smtp.get("host", "127.0.0.1"), int(smtp.get("port", 25)), timeout=15) as s:
        if smtp.get("starttls"):
            s.starttls()
        if smtp.get("username"):
            s.login(smtp["username"], smtp.get("password", ""))
        s.send_message(msg)


def _deliver(config: dict, rule: Rule, alert: Alert, channel: str, base_url: str) -> None:
    if channel == "webhook":
        send_webhook(rule.webhook, alert, base_url)
    elif channel == "email":
        send_email(config.get("smtp") or {}, rule.email, alert, base_url)


def run_alerts(store: Store, config: dict[str, Any], base_url: str | None = None) -> dict[str, Any]:
    """Deliver every alert not yet sent on each channel; record each success so it is never repeated."""
    base_url = (base_url or config.get("base_url") or "http://127.0.0.1:8000").rstrip("/")
    rules = [Rule.from_dict(r) for r in config.get("rules") or []]
    sent = _sent(store)
    counts = {"rules": len(rules), "matched": 0, "sent": 0, "already_sent": 0, "failed": 0, "errors": []}
    for rule in rules:
        for alert in evaluate(store, rule):
            counts["matched"] += 1
            for channel in rule.channels:
                if (rule.name, alert.key, channel) in sent:
                    counts["already_sent"] += 1
                    continue
                try:
                    _deliver(config, rule, alert, channel, base_url)
                except (httpx.HTTPError, OSError, smtplib.SMTPException) as e:
                    counts["failed"] += 1
                    counts["errors"].append(f"{rule.name}/{channel}: {type(e).__name__}: {e}"[:300])
                    continue
                counts["sent"] += _record(store, rule.name, alert.key, channel)
    return counts


def _xml_text(s: str | None) -> str:
    """Drop characters XML 1.0 cannot carry (control characters in hostile post text)."""
    return "".join(ch for ch in (s or "") if ch in "\t\n\r" or ord(ch) >= 0x20 and ord(ch) not in (0xFFFE, 0xFFFF))


def atom_feed(store: Store, rules: list[Rule], base_url: str = "", limit: int = 200) -> bytes:
    """The alerts recorded for the Atom channel, newest first, as an Atom 1.0 document."""
    with store.read() as conn:
        rows = conn.execute(select(alerts_sent.c.rule, alerts_sent.c.event_key, alerts_sent.c.sent_at)
                            .where(alerts_sent.c.channel == "atom")
                            .order_by(alerts_sent.c.sent_at.desc(), alerts_sent.c.id.desc()).limit(limit)).all()
    known = {(a.rule, a.key): a for r in rules if "atom" in r.channels for a in evaluate(store, r)}
    feed = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(feed, "title").text = "envoywatch alerts"
    ET.SubElement(feed, "id").text = "urn:envoywatch:alerts"
    ET.SubElement(feed, "updated").text = iso(rows[0].sent_at) if rows else iso(utcnow())
    ET.SubElement(feed, "link", href=f"{base_url}/alerts.atom", rel="self")
    for r in rows:
        a = known.get((r.rule, r.event_key))
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = _xml_text(f"urn:envoywatch:alert:{r.rule}:{r.event_key}")
        ET.SubElement(entry, "title").text = _xml_text(a.title if a else f"{r.rule}: {r.event_key}")
        ET.SubElement(entry, "updated").text = iso(r.sent_at)
        ET.SubElement(entry, "link", href=base_url + (a.link if a else "/events"))
        ET.SubElement(entry, "summary").text = _xml_text(a.summary if a else "")
        ET.SubElement(ET.SubElement(entry, "author"), "name").text = "envoywatch"
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
