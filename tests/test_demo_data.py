"""The bundled demo data: well-formed exports, a reproducible generator, and the planted story present."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "envoywatch" / "data" / "demo"
GENERATOR = REPO / "scripts" / "make_demo_data.py"
CT_HEADER = ("Page Name,User Name,Facebook Id,Page Category,Page Admin Top Country,Page Description,Page Created,"
             "Likes at Posting,Followers at Posting,Post Created,Post Created Date,Post Created Time,Type,"
             "Total Interactions,Likes,Comments,Shares,Love,Wow,Haha,Sad,Angry,Care,Video Share Status,"
             "Is Video Owner?,Post Views,Total Views,Total Views For All Crossposts,Video Length,URL,Message,Link,"
             "Final Link,Image Text,Link Text,Description,Sponsor Id,Sponsor Name,Sponsor Category,"
             "Overperforming Score").split(",")
BLOCK_PHRASE = re.compile(r"заблокир|в блоке|бұғат|блокқа|блоктады|blocked|拉黑", re.I)
US_NAMES = ("United States", "USA", "US ", "America", "Washington", "White House", "State Department", "США",
            "Америк", "Вашингтон", "Белый дом", "Госдеп", "АҚШ", "美国", "美方")


@pytest.fixture(scope="module")
def key() -> dict:
    return json.loads((DEMO / "answers" / "planted_events.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pages() -> dict[str, list[dict]]:
    return {p.name: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
            for p in sorted(DEMO.glob("x-*.jsonl"))}


@pytest.fixture(scope="module")
def tweets(pages) -> dict[str, dict]:
    return {t["id"]: t for lines in pages.values() for page in lines for t in page["data"]}


@pytest.fixture(scope="module")
def facebook() -> list[dict]:
    with open(next(DEMO.glob("facebook-*.csv")), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def telegram(kind: str) -> dict:
    name = "_chat-result.json" if kind == "group" else "_demo-result.json"
    return json.loads(next(DEMO.glob(f"telegram-*{name}")).read_text(encoding="utf-8"))


def test_registry_lists_the_watched_accounts():
    rows = list(csv.DictReader((DEMO / "accounts.csv").open(encoding="utf-8")))
    assert {"actor", "role", "sending_country", "host_country", "platform", "handle"} <= set(rows[0])
    assert {(r["platform"], r["handle"]) for r in rows} >= {("x", "ChinaEmbassyKZ_demo"), ("x", "AmbZhaoLin_demo"),
                                                           ("facebook", "AmbassadorZhaoLinDemo"),
                                                           ("telegram", "china_embassy_kz_demo")}
    for r in rows:
        assert r["role"] in ("embassy", "ambassador")
        assert re.fullmatch(r"[A-Z]{2}", r["sending_country"]) and r["host_country"] == "KZ"
    assert {r["sending_country"] for r in rows} == {"CN", "JP"}  # JP is the control actor


def test_x_pages_are_twarc2_search_pages(pages):
    for name, lines in pages.items():
        assert lines, name
        for page in lines:
            assert list(page) == ["data", "includes", "meta", "__twarc"]
            assert page["meta"]["result_count"] == len(page["data"]) <= 40
            assert page["__twarc"]["url"].startswith("https://api.twitter.com/2/tweets/search/all?")
            users = {u["id"] for u in page["includes"]["users"]}
            known = {t["id"] for t in page["data"]} | {t["id"] for t in page["includes"].get("tweets", [])}
            media = {m["media_key"]: m for m in page["includes"].get("media", [])}
            for t in page["data"]:
                check_tweet(t, users, known, media)
        assert "next_token" not in lines[-1]["meta"] and all("next_token" in p["meta"] for p in lines[:-1])


def check_tweet(t: dict, users: set, known: set, media: dict) -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", t["created_at"])
    assert t["author_id"] in users and t["conversation_id"] and t["lang"]
    assert set(t["public_metrics"]) == {"retweet_count", "reply_count", "like_count", "quote_count"}
    assert len(t["text"]) <= 280
    for ref in t.get("referenced_tweets", []):
        assert ref["type"] in ("replied_to", "quoted", "retweeted") and ref["id"] in known
        if ref["type"] == "replied_to":
            assert t["in_reply_to_user_id"] in users
    ents = t.get("entities", {})
    for m in ents.get("mentions", []):
        assert t["text"][m["start"]:m["end"]] == "@" + m["username"]
    for h in ents.get("hashtags", []):
        assert t["text"][h["start"]:h["end"]] == "#" + h["tag"]
    for u in ents.get("urls", []):
        assert t["text"][u["start"]:u["end"]] == u["url"]
    for k in t.get("attachments", {}).get("media_keys", []):
        assert media[k]["type"] == "photo" and media[k]["url"].startswith("https://pbs.twimg.com/media/")


def test_crowdtangle_export_has_the_real_columns(facebook):
    header = next(csv.reader(next(DEMO.glob("facebook-*.csv")).open(encoding="utf-8")))
    assert header == CT_HEADER
    for row in facebook:
        created = datetime.strptime(row["Post Created"], "%Y-%m-%d %H:%M:%S UTC")
        assert row["Post Created Date"] == f"{created:%Y-%m-%d}" and row["Post Created Time"] == f"{created:%H:%M:%S}"
        parts = ("Likes", "Comments", "Shares", "Love", "Wow", "Haha", "Sad", "Angry", "Care")
        assert int(row["Total Interactions"].replace(",", "")) == sum(int(row[p]) for p in parts)
        assert row["URL"].startswith("https://www.facebook.com/AmbassadorZhaoLinDemo/posts/") and row["Message"]


def test_telegram_exports_are_desktop_result_json():
    chan, group = telegram("channel"), telegram("group")
    assert chan["type"] == "public_channel" and group["type"] == "public_supergroup"
    almaty = timezone(timedelta(hours=6))
    for export in (chan, group):
        ids = set()
        for m in export["messages"]:
            assert m["type"] == "message" and m["id"] not in ids
            ids.add(m["id"])
            local = datetime.fromtimestamp(int(m["date_unixtime"]), almaty).strftime("%Y-%m-%dT%H:%M:%S")
            assert m["date"] == local  # local time of the exporting machine, as Telegram Desktop writes it
            flat = m["text"] if isinstance(m["text"], str) else "".join(
                p if isinstance(p, str) else p["text"] for p in m["text"])
            assert flat == "".join(e["text"] for e in m["text_entities"])
            if "reply_to_message_id" in m:
                assert m["reply_to_message_id"] in ids  # replies point to earlier messages
    forwarded = [m for m in group["messages"] if "forwarded_from" in m]
    assert len(forwarded) == len(chan["messages"])


def test_generator_is_reproducible(tmp_path):
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], check=True, capture_output=True)
    ours = sorted(p.relative_to(DEMO) for p in DEMO.rglob("*") if p.is_file())
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert ours == fresh
    for rel in ours:
        assert (DEMO / rel).read_bytes() == (tmp_path / rel).read_bytes(), f"{rel} differs from a fresh run"


def test_size_and_volume_are_modest(key):
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert total < 6_000_000
    c = key["counts"]
    assert 300 <= c["posts"] <= 600 and c["x_replies"] + c["telegram_comments"] >= 2500


def test_veiled_post_is_cross_posted_exactly_and_in_translation(key, tweets, facebook):
    veiled = {p["platform"]: p for p in key["events"]["veiled"]["posts"]}
    fb = next(r for r in facebook if r["URL"].endswith("/" + veiled["facebook"]["id"]))
    tw = tweets[veiled["x"]["id"]]
    tg = next(m for m in telegram("channel")["messages"] if str(m["id"]) == veiled["telegram"]["id"])
    assert tw["text"] == fb["Message"]
    assert fb["Post Created Date"] == tw["created_at"][:10] == "2020-03-18" == tg["date"][:10]
    assert "китайском вирусе" in tg["text"] and "штатам" in tg["text"]
    for text in (fb["Message"], tg["text"]):
        assert not any(name in text for name in US_NAMES), "the veiled post must not name its target"
    for clue in key["events"]["veiled"]["clues"]:
        assert clue in fb["Message"]
    assert int(fb["Comments"]) == max(int(r["Comments"]) for r in facebook)


def test_other_crossposts_are_exact_or_near(key, tweets, facebook):
    by_fb = {r["URL"].rsplit("/", 1)[1]: r["Message"] for r in facebook}
    kinds = set()
    for cluster in key["events"]["crossposts"]:
        origin = cluster["origin"]
        text = by_fb.get(origin["id"]) or tweets[origin["id"]]["text"]
        for copy in cluster["copies"]:
            kinds.add(copy["kind"])
            assert copy["lag_seconds"] > 0
            if copy["platform"] == "x":
                other = tweets[copy["id"]]["text"]
                assert other == text if copy["kind"] == "exact" else other.startswith(text) and other != text
    assert kinds == {"exact", "near", "translated"}


def test_backlash_is_unprecedented_for_the_account(key, tweets):
    b = key["events"]["backlash"]
    emb_id = key["accounts"]["x:ChinaEmbassyKZ_demo"]["platform_id"]
    per_conv: dict[str, int] = {}
    for t in tweets.values():
        if t["author_id"] != emb_id and t["conversation_id"] != t["id"]:
            per_conv[t["conversation_id"]] = per_conv.get(t["conversation_id"], 0) + 1
    own = [t for t in tweets.values() if t["author_id"] == emb_id and "referenced_tweets" not in t]
    before = [per_conv.get(t["id"], 0) for t in own if t["created_at"] < "2020-03-18T13"]
    veiled = per_conv[b["post"]["id"]]
    assert veiled >= 1000 and veiled > 20 * max(before) and sum(before) / len(before) < 6
    labels = {r["id"]: r for r in key["labels"] if r["platform"] == "x"}
    convo = [labels[t["id"]] for t in tweets.values() if t["conversation_id"] == b["post"]["id"] and t["id"] in labels]
    langs = {r["lang"] for r in convo}
    assert {"kk", "ru", "en"} <= langs
    assert sum(r["label"] == "hostile" for r in convo) / len(convo) > 0.6


def test_at_least_40_people_report_being_blocked(key, tweets):
    r = key["events"]["block_reports"]
    reports = r["reports"]
    for item in reports:
        t = tweets[item["id"]]
        assert BLOCK_PHRASE.search(t["text"]), t["text"]
        assert t["author_id"] == item["reporter_id"]
        if item["screenshot"]:
            assert t["attachments"]["media_keys"]
    reporters = {i["reporter_id"] for i in reports}
    assert len(reporters) >= 40 and r["distinct_reporters_x"] == len(reporters)
    assert sum(i["screenshot"] for i in reports) >= 10 and sum(i["repeat"] for i in reports) >= 3
    assert {i["lang"] for i in reports} == {"kk", "ru", "en", "zh"}
    assert {i["form"] for i in reports} == {"mention", "self_reply", "reply_other", "quote"}
    negatives = r["hard_negatives"]
    assert len(negatives) >= 15 and not {n["id"] for n in negatives} & {i["id"] for i in reports}
    assert all(tweets[n["id"]]["text"].endswith(n["text"]) for n in negatives)


def test_attacks_on_the_us_stop_after_the_backlash(key, tweets):
    a = key["events"]["attacks"]
    assert a["posts_attacking_us"] >= 40 and a["attacks_after_shift"] == 0
    assert a["last_attack_at"] < "2020-03-25"
    us_texts = [tweets[p["id"]]["text"] for p in a["posts"] if p["platform"] == "x" and "US" in p["targets"]
                and p["id"] in tweets]
    assert sum(any(n in t for t in us_texts) for n in US_NAMES) >= 10  # named in many ways and languages
    assert set(a["other_targets"]) == {"GB", "CA"} and all(a["other_targets"].values())
    for acc, s in key["events"]["shift"]["accounts"].items():
        assert s["attack_share_before"] > 0.1 and s["attack_share_after"] == 0, acc
        assert s["bilateral_share_after"] > s["bilateral_share_before"], acc


def test_texts_are_multilingual_and_not_copied_from_the_case(shared_data, tweets, facebook):
    case = (shared_data.parent / "case" / "envoy-kazakhstan-2020.txt")
    if not case.exists():
        pytest.skip("the case text is not present")
    words = re.findall(r"\w+", case.read_text(encoding="utf-8").lower())
    shingles = {" ".join(words[i:i + 7]) for i in range(len(words) - 6)}
    texts = [t["text"] for t in tweets.values()] + [r["Message"] for r in facebook]
    for text in texts:
        w = re.findall(r"\w+", text.lower())
        assert not any(" ".join(w[i:i + 7]) in shingles for i in range(len(w) - 6)), text
    joined = " ".join(texts)
    assert re.search(r"[әғқңөұүһі]", joined) and re.search(r"[а-я]", joined) and re.search(r"[\u4e00-\u9fff]", joined)


EXPECTED_FORMAT = {"x-": "twarc2", "facebook-": "crowdtangle", "telegram-": "telegram"}


def demo_inputs() -> list[tuple[Path, str]]:
    files = sorted(p for p in DEMO.iterdir() if p.is_file() and p.name not in ("accounts.csv", "README.md"))
    return [(p, next(f for prefix, f in EXPECTED_FORMAT.items() if p.name.startswith(prefix))) for p in files]


def test_envoywatch_importers_read_every_demo_file_without_rejects():
    from envoywatch.domain import Reject
    from envoywatch.sources import SOURCES, load_builtins

    load_builtins()
    for path, fmt in demo_inputs():
        items = list(SOURCES.get(fmt)().read(path))
        rejects = [i for i in items if isinstance(i, Reject)]
        assert items and not rejects, (path.name, rejects[:1])


def test_every_demo_file_is_detected_from_its_content():
    from envoywatch.sources.base import detect_format

    assert {p.name: detect_format(p) for p, _ in demo_inputs()} == {p.name: f for p, f in demo_inputs()}
