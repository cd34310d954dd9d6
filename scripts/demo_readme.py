"""Renders src/envoywatch/data/demo/README.md: what the demo holds and when each planted event happens."""

from __future__ import annotations

from demo_planted import ACCOUNTS

HEADER = """# envoywatch demo data

Synthetic, multilingual (kk, ru, en, zh) social-media data that plays out the kind of events in
`../shared/case`: an embassy that keeps attacking a third country, a veiled post, cross-posts (one in
translation), a wave of angry replies from the host public, people saying they were blocked, and a
shift to bilateral topics afterwards. Every person, handle, id and sentence is fictional and was written
for envoywatch; the sending country (CN) and host country (KZ) are real. A control actor (the Embassy of
Japan in Kazakhstan) posts ordinary diplomatic content over the same months.

Do not edit these files by hand: they are written by `python scripts/make_demo_data.py` (fixed seed,
stdlib + numpy; two runs give byte-identical files) and checked by `tests/test_demo_data.py`.

## Files

| file | format | what |
|---|---|---|
| `accounts.csv` | registry CSV | the five watched accounts (`envoywatch accounts import`) |
| `x-<handle>-tweets.jsonl` | X API v2 pages as twarc2 writes them (`search/all`, query `from:<handle>`) | the account's own tweets, newest first, 40 per page (`--max-results 40`) |
| `x-<handle>-replies.jsonl` | same, query `(to:<handle> OR @<handle>) -from:<handle>` | replies, replies to replies, quotes and mentions; parents in `includes.tweets` |
| `facebook-<page>-crowdtangle.csv` | CrowdTangle CSV export | the ambassador's page posts (no comment texts: CrowdTangle exports counts only) |
| `telegram-<channel>-result.json` | Telegram Desktop export (`result.json`), `public_channel` | the embassy channel (Russian) |
| `telegram-<channel>_chat-result.json` | Telegram Desktop export (`result.json`), `public_supergroup` | its discussion group: each channel post auto-forwarded (`forwarded_from`), comments with `reply_to_message_id` |
| `answers/planted_events.json` | | the answer key, not an input: planted events with ids, and a label for every reply |

Every top-level file except `accounts.csv` and this README is an input for `envoywatch ingest`; the
format is detected from content. The answer key sits in `answers/` so that it is never ingested.

Format notes that importers must handle, as in real exports:
- X replies start with the `@handles` they answer (`entities.mentions` gives their offsets); photos
  and links appear as `t.co` links in `text` with `entities.urls`, photos in `includes.media`.
- Kazakh tweets are reported by X as `lang: "kk"` or `"und"`; mixed-language replies as `"und"`.
- Telegram `date` is the exporting machine's local time (UTC+6, Almaty) without an offset;
  `date_unixtime` is the UTC epoch. `text` is a string, or a list of strings and entity objects.
- CrowdTangle `Post Created` is in UTC (`2020-03-18 10:12:44 UTC`); `Total Interactions` is written
  with thousands separators (`"5,159"`).
- The `_demo` handles mark the accounts as fictional; two are longer than X's 15-character limit.
- A Telegram discussion comment replies to the group's auto-forwarded copy of a channel post, not to the
  channel message id; match the copy to the channel post by `forwarded_from` and text.
"""


def row(p: dict) -> str:
    a = ACCOUNTS[p["account"]]
    return f"{p['platform']} `@{a['handle']}`" if p["platform"] != "facebook" else f"facebook `{a['handle']}`"


def timeline(demo, key: dict) -> list[str]:
    ev = key["events"]
    lines = ["## Timeline of planted events", "", "| date (UTC) | event | where | post id |", "|---|---|---|---|"]
    labels = {"tirade": "series of attacks on the US (Xinjiang, border, gender, guns)", "un_debt": "US debts to the UN",
              "cp_independence": "cross-post, near copy (+ hashtags): Independence Day greeting",
              "media_lies": "attack on Western media over coronavirus coverage",
              "cp_award": "cross-post, near copy (+ link to the Facebook post): State Department award",
              "veiled": "VEILED post on \"one country\" (the US)", "last_attack": "last attack on the US",
              "cp_doctors": "cross-post, exact copy: Chinese doctors arrive (phase 2)"}
    for p in sorted((p for p in demo.posts if p["tag"] in labels), key=lambda p: p["created"]):
        what = labels[p["tag"]]
        if p["tag"] == "veiled" and p["platform"] != "facebook":
            what += " — exact copy" if p["lang"] == "en" else " — Russian translation"
        lines.append(f"| {p['created']:%Y-%m-%d %H:%M} | {what} | {row(p)} | `{p['id']}` |")
    b = ev["backlash"]
    lines.append(f"| {b['from']} → {b['to']} | BACKLASH: {b['replies_in_conversation']} replies on the veiled tweet "
                 f"(baseline mean {b['baseline_mean_replies_per_post']}, max {b['baseline_max_replies_on_a_post']} per "
                 f"earlier post), critical share {b['critical_share_in_conversation']} | x `@{ACCOUNTS['emb_x']['handle']}` "
                 f"| `{b['post']['id']}` |")
    r = ev["block_reports"]
    first = min(i["created_at"] for i in r["reports"])[:10]
    last = max(i["created_at"] for i in r["reports"])[:10]
    lines.append(f"| {first} → {last} | BLOCK REPORTS: {r['distinct_reporters_x']} distinct people on X "
                 f"({r['reports_x']} reports, {r['with_screenshot']} with a screenshot, {r['repeat_reports']} repeats), "
                 f"+{len(r['telegram_reports'])} in the Telegram group | x | see `answers/planted_events.json` |")
    lines.append(f"| {ev['shift']['from']} → 2020-05-31 | SHIFT: no more attacks on the US; aid, trade, Belt and Road, "
                 "culture | all CN accounts | |")
    return lines + [""]


def render(demo, key: dict) -> str:
    c, ev = key["counts"], key["events"]
    out = [HEADER, "## Accounts", "", "| actor | role | platform | handle | id |", "|---|---|---|---|---|"]
    for a in ACCOUNTS.values():
        out.append(f"| {a['actor']} | {a['role']} | {a['platform']} | `{a['handle']}` | `{a['platform_id']}` |")
    out += ["", "## Counts", "", f"- posts: {c['posts']} ("
            + ", ".join(f"{k} {v}" for k, v in c["posts_per_account"].items()) + ")",
            f"- X replies, quotes and mentions: {c['x_replies']} by {c['distinct_x_repliers']} distinct users",
            f"- Telegram discussion comments: {c['telegram_comments']}",
            f"- posts attacking the US: {ev['attacks']['posts_attacking_us']}, by month: "
            + ", ".join(f"{m} {n}" for m, n in ev["attacks"]["by_month"].items())
            + f"; after {ev['shift']['from']}: {ev['attacks']['attacks_after_shift']}",
            f"- occasional attacks on other countries: " + ", ".join(f"{k} {v}" for k, v in ev["attacks"]["other_targets"].items()),
            ""]
    out += timeline(demo, key)
    out += ["## The veiled post", "",
            "Target: the United States, never named. Clues in the text: "
            + "; ".join(f"`{c}`" for c in ev["veiled"]["clues"]) + ".", ""]
    out += ["## Block reports", "",
            "Forms: a standalone tweet mentioning the account (`mention`), a reply to one's own earlier reply "
            "(`self_reply`), a reply to another critic (`reply_other`), a quote of one's own reply (`quote`). "
            "Languages: kk «бұғаттап тастады», ru «меня заблокировал(и)», en \"he blocked me\", zh 我被拉黑了. "
            f"Hard negatives (not reports): {len(ev['block_reports']['hard_negatives'])} replies such as \"I blocked them\", "
            "\"someone should block this account\", \"police blocked the road\", \"blockchain\".", ""]
    out += ["## Answer key", "",
            "`answers/planted_events.json` holds `events.attacks`, `events.veiled`, `events.crossposts` (origin, copies, kind "
            "`exact|near|translated`, lag in seconds), `events.backlash`, `events.block_reports` (each report with its "
            "reporter, blocker, screenshot flag), `events.shift`, and `labels`: the language and label of every X reply "
            "and Telegram comment (`hostile`, `supportive`, `mixed`, `friendly`, `mild_critical`, `aftermath`, `agree`, "
            "`block_report`, `block_report_repeat`, `hard_negative`).", ""]
    return "\n".join(out)
