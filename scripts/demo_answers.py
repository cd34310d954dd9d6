"""The demo's answer key (answers/planted_events.json) and the README with the timeline of planted events.

Tests and the analysis team check envoywatch's findings against these files; they are outputs
of the same run that writes the data, so the ids always match.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from demo_planted import ACCOUNTS, VEILED_CLUES

FORMAT_SEED = 20200319
TG_GROUP_ID = 1409876543
VEILED_FB_AT = datetime(2020, 3, 18, 10, 12, 44, tzinfo=timezone.utc)
SHIFT_FROM = "2020-03-25"
WAVE = ("2020-03-18", "2020-03-27")
CROSSPOSTS = {  # tag: kind of each copy relative to the first (origin)
    "cp_independence": "near",
    "cp_award": "near",
    "veiled": None,  # exact on X, translated on Telegram
    "cp_doctors": "exact",
}


def acc_key(account: str) -> str:
    a = ACCOUNTS[account]
    return f"{a['platform']}:{a['handle']}"


def post_url(p: dict) -> str:
    handle = ACCOUNTS[p["account"]]["handle"]
    return {"x": f"https://twitter.com/{handle}/status/{p['id']}",
            "facebook": f"https://www.facebook.com/{handle}/posts/{p['id']}",
            "telegram": f"https://t.me/{handle}/{p['id']}"}[p["platform"]]


def ref(p: dict) -> dict:
    """How to find a post: platform id (Telegram: message id in the channel `chat_id`) and its URL."""
    out = {"account": acc_key(p["account"]), "platform": p["platform"], "id": p["id"],
           "created_at": p["created"].strftime("%Y-%m-%dT%H:%M:%SZ"), "lang": p["lang"], "url": post_url(p)}
    if p["platform"] == "telegram":
        out["chat_id"] = int(ACCOUNTS[p["account"]]["platform_id"].removeprefix("channel"))
    return out


def crossposts(demo) -> list[dict]:
    clusters = []
    for tag, kind in CROSSPOSTS.items():
        posts = sorted((p for p in demo.posts if p["tag"] == tag), key=lambda p: p["created"])
        origin, copies = posts[0], []
        for c in posts[1:]:
            k = kind or ("translated" if c["lang"] != origin["lang"] else "exact")
            copies.append({**ref(c), "kind": k, "lag_seconds": int((c["created"] - origin["created"]).total_seconds())})
        clusters.append({"tag": tag, "origin": ref(origin), "copies": copies})
    return clusters


def backlash(demo) -> dict:
    emb = [p for p in demo.posts if p["account"] == "emb_x" and p["kind"] == "original"]
    veiled = next(p for p in emb if p["tag"] == "veiled")
    convo = [r for r in demo.replies if r["root"] is veiled]
    before = [p for p in emb if p["created"] < veiled["created"]]
    per_post = [sum(1 for r in demo.replies if r["root"] is p) for p in before]
    wave = [r for r in demo.replies if r["root"]["account"] == "emb_x" and WAVE[0] <= r["created"].strftime("%Y-%m-%d") <= WAVE[1]]
    hostile = sum(1 for r in convo if r["label"] in ("hostile", "block_report", "agree"))
    return {"account": acc_key("emb_x"), "post": ref(veiled), "from": WAVE[0], "to": WAVE[1],
            "replies_in_conversation": len(convo), "replies_to_account_in_window": len(wave),
            "critical_share_in_conversation": round(hostile / len(convo), 3),
            "baseline_posts": len(before), "baseline_mean_replies_per_post": round(sum(per_post) / len(before), 2),
            "baseline_max_replies_on_a_post": max(per_post),
            "host_language_share": round(sum(1 for r in convo if r["lang"] in ("kk", "ru", "mixed")) / len(convo), 3)}


def block_reports(demo) -> dict:
    reports = [r for r in demo.replies if r["label"] in ("block_report", "block_report_repeat")]
    items = [{"platform": "x", "id": r["id"], "reporter": r["author"]["handle"], "reporter_id": r["author"]["id"],
              "blocker": acc_key(r["blocker"]), "lang": r["lang"], "screenshot": bool(r["photo"]),
              "repeat": r["label"] == "block_report_repeat", "form": r["form"],
              "created_at": r["created"].strftime("%Y-%m-%dT%H:%M:%SZ")} for r in reports]
    tg = [{"platform": "telegram", "chat_id": TG_GROUP_ID, "id": c["group_id"], "reporter_id": f"user{c['author']['tg_id']}",
           "blocker": acc_key("emb_x"), "lang": "ru", "screenshot": bool(c["photo"])}
          for c in demo.tg_comments if c["label"] == "block_report"]
    negatives = [{"platform": "x", "id": r["id"], "lang": r["lang"], "text": r["text"]}
                 for r in demo.replies if r["label"] == "hard_negative"]
    return {"distinct_reporters_x": len({i["reporter_id"] for i in items}), "reports_x": len(items),
            "with_screenshot": sum(i["screenshot"] for i in items), "repeat_reports": sum(i["repeat"] for i in items),
            "by_blocker": {b: len({i["reporter_id"] for i in items if i["blocker"] == b})
                           for b in (acc_key("emb_x"), acc_key("amb_x"))},
            "reports": items, "telegram_reports": tg, "hard_negatives": negatives}


def attacks(demo) -> dict:
    rows = [p for p in demo.posts if p["category"] == "attack"]
    us = [p for p in rows if "US" in p["targets"]]
    by_month: dict[str, int] = {}
    for p in us:
        by_month[p["created"].strftime("%Y-%m")] = by_month.get(p["created"].strftime("%Y-%m"), 0) + 1
    return {"target": "US", "posts_attacking_us": len(us), "by_month": by_month,
            "last_attack_at": max(p["created"] for p in us).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "attacks_after_shift": sum(1 for p in us if p["created"].strftime("%Y-%m-%d") >= SHIFT_FROM),
            "other_targets": {c: sum(1 for p in rows if c in p["targets"]) for c in ("GB", "CA")},
            "posts": [{**ref(p), "targets": p["targets"]} for p in rows]}


def shift(demo) -> dict:
    out = {}
    for key in ("emb_x", "amb_x", "amb_fb", "emb_tg"):
        posts = [p for p in demo.posts if p["account"] == key]
        pre = [p for p in posts if p["created"].strftime("%Y-%m-%d") < WAVE[0]]
        post = [p for p in posts if p["created"].strftime("%Y-%m-%d") >= SHIFT_FROM]
        share = lambda ps, cats: round(sum(p["category"] in cats for p in ps) / max(1, len(ps)), 3)  # noqa: E731
        out[acc_key(key)] = {"posts_before": len(pre), "posts_after": len(post),
                             "attack_share_before": share(pre, ("attack",)), "attack_share_after": share(post, ("attack",)),
                             "bilateral_share_before": share(pre, ("bilateral", "aid")),
                             "bilateral_share_after": share(post, ("bilateral", "aid"))}
    return {"from": SHIFT_FROM, "after_event": "backlash", "accounts": out}


def labels(demo) -> list[dict]:
    rows = [{"platform": "x", "id": r["id"], "lang": r["lang"], "label": r["label"],
             "block_claim": r["label"] in ("block_report", "block_report_repeat")} for r in demo.replies]
    rows += [{"platform": "telegram", "chat_id": TG_GROUP_ID, "id": c["group_id"], "lang": c["lang"],
              "label": c["label"], "block_claim": c["label"] == "block_report"} for c in demo.tg_comments]
    return rows


def write_answers(demo, out: Path, written: list[Path]) -> list[Path]:
    veiled = [p for p in demo.posts if p["tag"] == "veiled"]
    key = {
        "about": "Answer key of the envoywatch demo: the planted events and a label for every reply. Not an input file.",
        "seed": "fixed in scripts/make_demo_data.py",
        "generator": "scripts/make_demo_data.py", "period": {"from": "2019-10-01", "to": "2020-05-31"},
        "accounts": {acc_key(k): {"actor": a["actor"], "role": a["role"], "platform_id": a["platform_id"]}
                     for k, a in ACCOUNTS.items()},
        "counts": counts(demo),
        "events": {"attacks": attacks(demo),
                   "veiled": {"target": "US", "clues": VEILED_CLUES, "posts": [ref(p) for p in veiled]},
                   "crossposts": crossposts(demo), "backlash": backlash(demo),
                   "block_reports": block_reports(demo), "shift": shift(demo)},
        "labels": labels(demo),
    }
    (out / "answers").mkdir(exist_ok=True)
    path = out / "answers" / "planted_events.json"
    path.write_text(json.dumps(key, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    rpath = out / "README.md"
    rpath.write_text(readme(demo, key), encoding="utf-8")
    return [path, rpath]


def counts(demo) -> dict:
    per = {acc_key(k): sum(1 for p in demo.posts if p["account"] == k) for k in ACCOUNTS}
    return {"posts": len(demo.posts), "posts_per_account": per, "x_replies": len(demo.replies),
            "telegram_comments": len(demo.tg_comments),
            "distinct_x_repliers": len({r["author"]["id"] for r in demo.replies})}


def readme(demo, key: dict) -> str:
    from demo_readme import render
    return render(demo, key)
