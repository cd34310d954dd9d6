"""The registry of watched actors and their accounts: add, import and export as CSV or YAML."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pycountry
import yaml
from sqlalchemy import Connection, func, insert, select, update

from envoywatch.domain import ACTOR_ROLES, PLATFORMS
from envoywatch.store.db import Store
from envoywatch.store.schema import accounts, actors, posts
from envoywatch.store.writer import norm_handle
from envoywatch.timeutil import utcnow

FIELDS = ("actor", "role", "sending_country", "host_country", "platform", "handle",
          "platform_id", "display_name")
REQUIRED = FIELDS[:6]


class RegistryError(ValueError):
    """A registry row is not valid; the message names the row and the field."""


@dataclass(slots=True)
class AccountEntry:
    actor: str
    role: str
    sending_country: str | None
    host_country: str | None
    platform: str
    handle: str
    platform_id: str | None = None
    display_name: str | None = None


def _country(value: str | None, where: str) -> str | None:
    if not value:
        return None
    code = value.strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise RegistryError(f"{where}: {value!r} is not an ISO 3166 alpha-2 country code")
    return code


def validate(row: dict, where: str) -> AccountEntry:
    missing = [f for f in REQUIRED if not str(row.get(f) or "").strip() and f not in
               ("sending_country", "host_country")]
    if missing:
        raise RegistryError(f"{where}: missing {', '.join(missing)}")
    platform = str(row["platform"]).strip().lower()
    if platform not in PLATFORMS:
        raise RegistryError(f"{where}: platform {platform!r} is not one of {', '.join(PLATFORMS)}")
    role = str(row["role"]).strip().lower().replace(" ", "_")
    if role not in ACTOR_ROLES:
        raise RegistryError(f"{where}: role {role!r} is not one of {', '.join(ACTOR_ROLES)}")
    return AccountEntry(
        actor=str(row["actor"]).strip(), role=role,
        sending_country=_country(row.get("sending_country"), where),
        host_country=_country(row.get("host_country"), where),
        platform=platform, handle=norm_handle(str(row["handle"])) or "",
        platform_id=str(row["platform_id"]).strip() if row.get("platform_id") else None,
        display_name=row.get("display_name") or None)


def read_entries(path: Path) -> list[AccountEntry]:
    """Read a registry CSV or YAML (flat rows, or actors with nested accounts)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".yaml", ".yml"):
        return _from_yaml(yaml.safe_load(text), path)
    reader = csv.DictReader(io.StringIO(text))
    absent = [f for f in REQUIRED if f not in (reader.fieldnames or [])]
    if absent:
        raise RegistryError(f"{path}: missing columns {', '.join(absent)} (found: {reader.fieldnames})")
    return [validate(row, f"{path}:{i}") for i, row in enumerate(reader, start=2)]


def _from_yaml(data, path: Path) -> list[AccountEntry]:
    rows = data.get("actors", data.get("accounts")) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise RegistryError(f"{path}: expected a list of accounts or 'actors:' with accounts")
    out = []
    for i, item in enumerate(rows, start=1):
        if not isinstance(item, dict):
            raise RegistryError(f"{path}: entry {i} is not a mapping")
        if "accounts" in item:
            actor = {"actor": item.get("name") or item.get("actor"), **{
                k: item.get(k) for k in ("role", "sending_country", "host_country")}}
            out += [validate({**actor, **acc}, f"{path}: actor {i}") for acc in item["accounts"]]
        else:
            out.append(validate(item, f"{path}: entry {i}"))
    return out


def upsert(conn: Connection, entries: Iterable[AccountEntry]) -> dict[str, int]:
    """Create or update actors and accounts; accounts seen in posts before become watched."""
    counts = {"actors": 0, "accounts_added": 0, "accounts_updated": 0}
    now = utcnow()
    for e in entries:
        actor_id = conn.execute(select(actors.c.id).where(actors.c.name == e.actor)).scalar()
        values = {"role": e.role, "sending_country": e.sending_country, "host_country": e.host_country}
        if actor_id is None:
            actor_id = conn.execute(insert(actors).values(name=e.actor, created_at=now, **values)
                                    .returning(actors.c.id)).scalar_one()
            counts["actors"] += 1
        else:
            conn.execute(update(actors).where(actors.c.id == actor_id).values(**values))
        acc = conn.execute(select(accounts.c.id).where(
            accounts.c.platform == e.platform, accounts.c.handle == e.handle)).scalar()
        if acc is None and e.platform_id:
            acc = conn.execute(select(accounts.c.id).where(
                accounts.c.platform == e.platform, accounts.c.platform_id == e.platform_id)).scalar()
        values = {"actor_id": actor_id, "watched": True, "handle": e.handle}
        if e.platform_id:
            values["platform_id"] = e.platform_id
        if e.display_name:
            values["display_name"] = e.display_name
        if acc is None:
            conn.execute(insert(accounts).values(platform=e.platform, created_at=now, **values))
            counts["accounts_added"] += 1
        else:
            conn.execute(update(accounts).where(accounts.c.id == acc).values(**values))
            counts["accounts_updated"] += 1
    return counts


def import_file(store: Store, path: Path) -> dict[str, int]:
    entries = read_entries(path)  # validate everything before writing anything
    with store.write() as conn:
        return upsert(conn, entries)


def list_accounts(store: Store, watched_only: bool = True) -> list[dict]:
    n_posts = (select(posts.c.account_id, func.count().label("n")).group_by(posts.c.account_id)
               .subquery())
    q = (select(accounts.c.id, accounts.c.platform, accounts.c.handle, accounts.c.platform_id,
                accounts.c.display_name, accounts.c.watched, accounts.c.url, actors.c.name.label("actor"),
                actors.c.role, actors.c.sending_country, actors.c.host_country,
                func.coalesce(n_posts.c.n, 0).label("posts"))
         .select_from(accounts.outerjoin(actors, accounts.c.actor_id == actors.c.id)
                      .outerjoin(n_posts, n_posts.c.account_id == accounts.c.id))
         .order_by(actors.c.name, accounts.c.platform, accounts.c.handle))
    if watched_only:
        q = q.where(accounts.c.watched.is_(True))
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def export_rows(store: Store) -> list[dict]:
    return [{f: r.get(f) for f in FIELDS} for r in list_accounts(store)]


def export_text(store: Store, fmt: str = "csv") -> str:
    rows = export_rows(store)
    if fmt == "yaml":
        return yaml.safe_dump(rows, allow_unicode=True, sort_keys=False)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
