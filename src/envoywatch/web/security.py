"""Security for the dashboard: response headers (CSP), hashed API tokens, the write-access check."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

import orjson
from fastapi import HTTPException, Request
from sqlalchemy import insert, select, update

from envoywatch.store.db import Store
from envoywatch.store.schema import api_tokens
from envoywatch.timeutil import iso, utcnow

TOKEN_PREFIX = "ew_"

# Scripts and styles only from our own origin: vendored Vega runs with its CSP-safe interpreter (no eval)
# and vega-tooltip's default style comes from app.css, so nothing inline is needed.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Pure ASGI middleware adding CSP and the usual hardening headers to every HTTP response."""

    def __init__(self, app) -> None:
        self.app = app
        self.raw = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope.get("path", "").startswith("/api/")

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.raw if k not in have]
                if api and b"cache-control" not in have:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def hash_token(token: str) -> str:
    """SHA-256 of the token: tokens are 256-bit random, so a fast hash suffices and no salt is needed."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(store: Store, name: str) -> dict[str, Any]:
    """Make a new token; only its hash is stored, the clear value is returned once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    with store.write() as conn:
        tid = conn.execute(insert(api_tokens).values(name=name[:100] or "token", token_hash=hash_token(token),
                                                     created_at=now, revoked=False)).inserted_primary_key[0]
    return {"id": tid, "name": name, "token": token, "created_at": iso(now)}


def list_tokens(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.created_at,
                                   api_tokens.c.revoked).order_by(api_tokens.c.id)).all()
    return [{"id": r.id, "name": r.name, "created_at": iso(r.created_at), "revoked": bool(r.revoked)} for r in rows]


def revoke_token(store: Store, token_id: int) -> bool:
    with store.write() as conn:
        return conn.execute(update(api_tokens).where(api_tokens.c.id == token_id)
                            .values(revoked=True)).rowcount > 0


def check_token(store: Store, token: str) -> bool:
    """True when the token exists and is not revoked (compared by hash, in constant time)."""
    if not token:
        return False
    h = hash_token(token)
    with store.read() as conn:
        row = conn.execute(select(api_tokens.c.token_hash, api_tokens.c.revoked)
                           .where(api_tokens.c.token_hash == h)).first()
    return bool(row) and not row.revoked and hmac.compare_digest(row.token_hash, h)


def require_token(request: Request) -> None:
    """Dependency for every write endpoint: `Authorization: Bearer TOKEN` must be a live token."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not check_token(request.app.state.store, token.strip()):
        raise HTTPException(status_code=401, detail="a valid API token is required for writes "
                            "(envoywatch tokens create)", headers={"WWW-Authenticate": "Bearer"})


def script_json(value: Any) -> str:
    """JSON safe inside <script type="application/json">: no '<', '>', '&' or line separators as-is."""
    try:  # orjson: a busy actor's chart data is hundreds of KB a page
        text = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):  # integers beyond 64 bits, and the like
        text = json.dumps(value, ensure_ascii=False, default=str)
    for a, b in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"),
                 ("\u2029", "\\u2029")):
        text = text.replace(a, b)
    return text
