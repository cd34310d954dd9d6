"""A small synthetic workspace for dashboard tests, screenshots and benchmarks (text written for envoywatch).

It tells a compressed version of the product's story: an embassy attacks a third country for weeks,
a backlash wave of hostile replies and block reports follows, then the embassy shifts to cooperation.
`XSS_PAYLOADS` are hostile strings ingested as posts, handles, summaries and clues, to prove escaping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from envoywatch.events.base import Event, save_events
from envoywatch.store import fts, kept
from envoywatch.store.annotations import write_annotations
from envoywatch.store.db import Store
from envoywatch.store.schema import accounts, actors, posts
from envoywatch.timeutil import utcnow

XSS_PAYLOADS = (
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    '<a href="javascript:window.__xss=3">click me</a>',
    "</script><script>window.__xss=4</script>",
    '<svg onload="window.__xss=5"><circle r=5></circle></svg>',
    '"><img src=x onerror=window.__xss=6>',
    "' onmouseover='window.__xss=7' x='",
    "javascript:window.__xss=8",
    '<iframe srcdoc="<script>parent.__xss=9</script>"></iframe>',
    "{{ 7*7 }} {% raw %}<b>jinja</b>",
    '<details open ontoggle="window.__xss=10">',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=11">',
    "\u2028</script>\u2029<!--<script>window.__xss=12</script>",
    '<body onload="alert(13)">',
)
START = datetime(2020, 1, 6, 9, tzinfo=UTC)
VERSION = "sample-1"


def _actor(conn, name: str, role: str, sender: str, host: str) -> int:
    return conn.execute(insert(actors).values(name=name, role=role, sending_country=sender, host_country=host,
                                              created_at=utcnow())).inserted_primary_key[0]


def _account(conn, platform: str, handle: str, actor_id: int | None, watched: bool, display: str | None = None):
    return conn.execute(insert(accounts).values(platform=platform, handle=handle, actor_id=actor_id,
                                                watched=watched, display_name=display,
                                                created_at=utcnow())).inserted_primary_key[0]


def _post(conn, acc: int, platform: str, pid: str, when: datetime, text: str, kind: str = "original",
          reply_to: str | None = None, url: str | None = None) -> int:
    return conn.execute(insert(posts).values(
        platform=platform, platform_id=pid, account_id=acc, created_at=when, text=text, lang=None, kind=kind,
        in_reply_to=reply_to, url=url or f"https://example.org/{platform}/{pid}", has_media=False,
        ingested_at=utcnow(), importer="sample")).inserted_primary_key[0]


def _ann(pid: int, lang: str, countries: list[dict], techniques: list[str], und: float,
         topics: list[str], reply: dict | None = None, block: bool = False) -> dict[str, Any]:
    targets = [c["code"] for c in countries if c.get("stance") == "hostile" and c.get("code")]
    a = {"id": str(pid), "lang": lang, "countries": countries, "targets": targets,
         "propaganda": bool(techniques), "propaganda_score": 0.9 if techniques else 0.1,
         "techniques": [{"label": t, "score": 0.8} for t in techniques], "undiplomatic": und, "topics": topics}
    if reply is not None:
        a["reply"] = {**reply, "block_claim": block}
        a["block_claim"] = block
    return a


US_HOSTILE = {"code": "US", "role": "third", "stance": "hostile", "veiled": False, "confidence": 0.9,
              "evidence": ["Washington"]}
KZ_FRIENDLY = {"code": "KZ", "role": "host", "stance": "friendly", "veiled": False, "confidence": 0.95,
               "evidence": ["Kazakhstan"]}


def build_sample(store: Store, weeks: int = 12, replies_per_week: int = 6, xss: bool = False) -> dict[str, Any]:
    """Fill an empty workspace with the sample story; returns ids the tests use."""
    anns: list[dict[str, Any]] = []
    ids: dict[str, Any] = {"posts": [], "replies": []}
    with store.write() as conn:
        emb = _actor(conn, "Embassy of China in Kazakhstan", "embassy", "CN", "KZ")
        amb = _actor(conn, "Ambassador Zhang", "ambassador", "CN", "KZ")
        x = _account(conn, "x", "chinaembkz", emb, True)
        fb = _account(conn, "facebook", "zhang.ambassador", amb, True)
        ids.update(actor=emb, ambassador=amb, x=x, fb=fb)
        public = [_account(conn, "x", f"citizen{i}", None, False) for i in range(8)]
        for w in range(weeks):
            _sample_week(conn, w, x, fb, public, replies_per_week, anns, ids)
        if xss:
            ids["xss"] = _xss_rows(conn, emb, public, anns)
        fts.sync(conn)  # the writer indexes new posts for search in bulk; so must direct inserts
    kept.start(store)  # the kept sums, as an analysis run keeps them
    with store.write() as conn:
        write_annotations(conn, anns, VERSION)
        kept.written(conn, [int(a["id"]) for a in anns], anns)
    kept.finish(store)
    _sample_events(store, ids, weeks)
    return ids


def _sample_week(conn, w: int, x: int, fb: int, public: list[int], n_rep: int, anns: list, ids: dict) -> None:
    when = START + timedelta(weeks=w)
    after_shift = w >= 9
    for i in range(3):
        pid = f"{w}{i:02d}"
        if after_shift:
            text = f"Week {w}: our two countries sign a new cooperation plan on trade and students ({i})."
            c, t, und, top = [KZ_FRIENDLY], [], 0.1, ["bilateral cooperation"]
        else:
            text = f"Week {w}: Washington spreads lies about the virus while its own states fail ({i})."
            c, t, und, top = [US_HOSTILE], ["name_calling", "undiplomatic_assertiveness_whataboutism"], 0.8, ["covid-19"]
        post_id = _post(conn, x, "x", f"x{pid}", when + timedelta(hours=i), text)
        ids["posts"].append(post_id)
        anns.append(_ann(post_id, "en", c, t, und, top))
        if i == 0:
            copy = _post(conn, fb, "facebook", f"fb{pid}", when + timedelta(hours=3), "Перевод: " + text)
            anns.append(_ann(copy, "ru", c, t, und, top))
            ids.setdefault("copies", []).append((post_id, copy))
    wave = 5 if w == 8 else 1
    for j in range(n_rep * wave):
        hostile = w == 8 or j % 3 == 0
        block = w == 8 and j % 4 == 0
        text = "You blocked me for asking a question" if block else (
            "Stop lecturing us, this is our country" if hostile else "Thank you for the information")
        rid = _post(conn, public[j % len(public)], "x", f"r{w}-{j}", when + timedelta(hours=5, minutes=j), text,
                    kind="reply", reply_to=f"x{w}00")
        ids["replies"].append(rid)
        if w == 8:
            ids.setdefault("wave", []).append(rid)
        anns.append(_ann(rid, "en", [], [], 0.2, [], {"hostility": 0.9 if hostile else 0.1, "hostile": hostile,
                                                      "stance": "against" if hostile else "favor"}, block))


def _xss_rows(conn, actor_id: int, public: list[int], anns: list) -> list[int]:
    """Every payload as a watched post, a reply, a handle, and inside annotation fields."""
    evil = _account(conn, "x", '"><svg onload=window.__xss=20>', actor_id, True,
                    display="<img src=x onerror=window.__xss=21>")
    out = []
    for k, payload in enumerate(XSS_PAYLOADS):
        when = START + timedelta(weeks=2, hours=k)
        pid = _post(conn, evil, "x", f"xss{k}", when, payload, url="javascript:window.__xss=30")
        rid = _post(conn, public[0], "x", f"xssr{k}", when + timedelta(minutes=5), payload, kind="reply",
                    reply_to=f"xss{k}")
        out += [pid, rid]
        veiled = {"code": "US", "role": "third", "stance": "hostile", "veiled": True, "confidence": 0.7,
                  "evidence": [payload]}
        anns.append(_ann(pid, payload[:16], [veiled], ["loaded_language"], 0.5, [payload[:60]]))
        anns.append(_ann(rid, "en", [], [], 0.1, [], {"hostility": 0.8, "hostile": True}, True))
    return out


def _backlash_data(acc: str, n: int, hostile: int) -> dict[str, Any]:
    return {"account": acc, "replies": n, "hostile_replies": hostile, "hostile_share": round(hostile / n, 3),
            "baseline_replies_per_post": 2.0, "baseline_hostile_share": 0.33, "ratio_to_baseline": 5.0,
            "reply_languages": {"en": n}, "themes": [], "unprecedented": True}


def _sample_events(store: Store, ids: dict, weeks: int) -> None:
    """Events shaped like the detectors' (events/*.py), so the story module can tell them."""
    wave_start = START + timedelta(weeks=8)
    wave = ids.get("wave", [])
    people = [{"reporter": f"x:citizen{k % 8}", "post": {"id": r}, "screenshot": False}
              for k, r in enumerate(wave[::4])]
    evs = [
        Event("backlash", "sample:backlash:2020-03-02", wave_start, wave_start + timedelta(days=2),
              account_id=ids["x"], actor_id=ids["actor"], score=5.0,
              summary=f"{len(wave)} replies to x:chinaembkz (5.0x its usual), 100% hostile: "
                      "the largest wave in its history",
              data=_backlash_data("x:chinaembkz", max(1, len(wave)), len(wave)), evidence=wave[:10]),
        Event("block_reports", "sample:blocks", wave_start, wave_start + timedelta(days=2),
              account_id=ids["x"], actor_id=ids["actor"], score=float(len(people)),
              summary=f"{len(people)} people said x:chinaembkz blocked them (0 with a screenshot)",
              data={"account": "x:chinaembkz", "reporters": len(people), "reports": len(people),
                    "with_screenshot": 0, "people": people, "bluesky_block_records": 0},
              evidence=[p["post"]["id"] for p in people]),
        Event("shift", "sample:shift:2020-03-09", START + timedelta(weeks=9), None, account_id=ids["x"],
              actor_id=ids["actor"], score=0.9, summary="Attacks on US stop; bilateral cooperation takes over",
              data={"actor": "Embassy of China in Kazakhstan", "accounts": ["x:chinaembkz"],
                    "date": (START + timedelta(weeks=9)).isoformat(), "changes": [],
                    "preceding_events": []}, evidence=ids["posts"][27:30]),
    ]
    for k, (orig, copy) in enumerate(ids["copies"][:3]):
        evs.append(Event(
            "crosspost", f"sample:crosspost:{orig}", START + timedelta(weeks=k), None, account_id=ids["x"],
            actor_id=ids["actor"], score=1.0, summary="x:chinaembkz's post reappeared on facebook:zhang.ambassador "
            "(translated)",
            data={"origin": {"post": {"id": orig}, "account": "x:chinaembkz", "platform": "x", "lang": "en",
                             "text": ""},
                  "copies": [{"post": {"id": copy}, "account": "facebook:zhang.ambassador", "match": "translated",
                              "lang": "ru", "lag_hours": 3.0}],
                  "accounts": ["facebook:zhang.ambassador", "x:chinaembkz"], "languages": ["en", "ru"],
                  "matches": ["translated"], "platforms": ["facebook", "x"]},
            evidence=[orig, copy]))
    if ids.get("xss"):
        evs.append(Event("backlash", "sample:xss", START + timedelta(weeks=2), START + timedelta(weeks=2, days=1),
                         account_id=ids["x"], summary=" ".join(XSS_PAYLOADS[:6]),
                         data={**_backlash_data(XSS_PAYLOADS[3], 4, 4), "unprecedented": False,
                               "themes": [{"theme": XSS_PAYLOADS[1]}]},
                         evidence=ids["xss"][:4]))
    save_events(store, "sample", evs)
