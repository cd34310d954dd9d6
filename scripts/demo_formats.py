"""Writers for the envoywatch demo: X API v2 pages (twarc2), CrowdTangle CSV, Telegram Desktop JSON.

Each writer turns the in-memory story built by `make_demo_data.Demo` into the files a real
collection would produce, with their quirks (leading @mentions in replies, t.co links, local
times in Telegram exports, comma-grouped numbers in CrowdTangle).
"""

from __future__ import annotations

import csv
import io
import json
import re
import string
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import numpy as np

import demo_answers
from demo_planted import ACCOUNTS, SPOX

ALMATY = timezone(timedelta(hours=6))
TCO_CHARS = string.ascii_letters + string.digits
SEARCH_FIELDS = ("expansions=author_id%2Cin_reply_to_user_id%2Creferenced_tweets.id%2Creferenced_tweets.id.author_id"
                 "%2Centities.mentions.username%2Cattachments.media_keys&tweet.fields=attachments%2Cauthor_id"
                 "%2Cconversation_id%2Ccreated_at%2Centities%2Cid%2Cin_reply_to_user_id%2Clang%2Cpublic_metrics"
                 "%2Ctext%2Cpossibly_sensitive%2Creferenced_tweets%2Creply_settings%2Csource&user.fields=created_at"
                 "%2Cdescription%2Cid%2Cname%2Cprofile_image_url%2Cprotected%2Cpublic_metrics%2Cusername%2Cverified"
                 "&media.fields=height%2Cmedia_key%2Ctype%2Curl%2Cwidth&max_results=40")
PAGE_SIZE = 40  # twarc2 search --archive --max-results 40
CT_COLUMNS = ["Page Name", "User Name", "Facebook Id", "Page Category", "Page Admin Top Country", "Page Description",
              "Page Created", "Likes at Posting", "Followers at Posting", "Post Created", "Post Created Date",
              "Post Created Time", "Type", "Total Interactions", "Likes", "Comments", "Shares", "Love", "Wow",
              "Haha", "Sad", "Angry", "Care", "Video Share Status", "Is Video Owner?", "Post Views", "Total Views",
              "Total Views For All Crossposts", "Video Length", "URL", "Message", "Link", "Final Link", "Image Text",
              "Link Text", "Description", "Sponsor Id", "Sponsor Name", "Sponsor Category", "Overperforming Score"]
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"


def iso_z(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class XWriter:
    """Maps posts and replies to X API v2 tweet objects and groups them into twarc2 search pages."""

    def __init__(self, demo, rng: np.random.Generator):
        self.demo, self.rng = demo, rng
        self.tco: dict[str, str] = {}
        self.children: dict[str, int] = {}
        self.quotes: dict[str, int] = {}
        for r in demo.replies:
            if r.get("parent") is not None:
                self.children[r["parent"]["id"]] = self.children.get(r["parent"]["id"], 0) + 1
            if r.get("quoted") is not None:
                self.quotes[r["quoted"]["id"]] = self.quotes.get(r["quoted"]["id"], 0) + 1
        self.cache: dict[str, dict] = {}

    def short(self, key: str) -> str:
        if key not in self.tco:
            self.tco[key] = "https://t.co/" + "".join(self.rng.choice(list(TCO_CHARS), size=10))
        return self.tco[key]

    def user(self, who) -> dict:
        if isinstance(who, str):
            acc = SPOX if who == "spox" else ACCOUNTS[who]
            return {"id": acc["platform_id"], "name": acc["display_name"], "username": acc["handle"],
                    "created_at": acc["created"], "description": "Official account (demo data for envoywatch).",
                    "protected": False, "verified": True,
                    "public_metrics": {"followers_count": 21840, "following_count": 312, "tweet_count": 1930,
                                       "listed_count": 154},
                    "profile_image_url": f"https://pbs.twimg.com/profile_images/{acc['platform_id'][:10]}/a_normal.jpg"}
        return {"id": who["id"], "name": who["name"], "username": who["handle"], "created_at": iso_z(who["created"]),
                "description": "", "protected": False, "verified": False,
                "public_metrics": {"followers_count": who["followers"], "following_count": who["followers"] // 2 + 40,
                                   "tweet_count": who["followers"] * 7 + 12, "listed_count": who["followers"] // 90},
                "profile_image_url": "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"}

    def entities(self, text: str, urls: list[dict]) -> dict:
        ent: dict = {}
        tags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in re.finditer(r"#(\w+)", text)]
        mentions = [{"start": m.start(), "end": m.end(), "username": m.group(1)}
                    for m in re.finditer(r"(?<!\w)@(\w+)", text)]
        if tags:
            ent["hashtags"] = tags
        if mentions:
            ent["mentions"] = mentions
        if urls:
            ent["urls"] = urls
        return ent

    def media(self, owner_id: str, handle: str) -> tuple[str, dict, dict]:
        key = f"3_{owner_id[:-3]}{int(self.rng.integers(100, 999))}"
        link = self.short(key)
        name = "".join(self.rng.choice(list(TCO_CHARS), size=15))
        url = {"url": link, "expanded_url": f"https://twitter.com/{handle}/status/{owner_id}/photo/1",
               "display_url": f"pic.twitter.com/{link[13:]}", "media_key": key}
        obj = {"media_key": key, "type": "photo", "url": f"https://pbs.twimg.com/media/{name}.jpg",
               "width": int(self.rng.choice([1080, 1170, 1242])), "height": int(self.rng.choice([1920, 2340, 2532]))}
        return key, url, obj

    def post_tweet(self, post: dict) -> tuple[dict, list[dict]]:
        acc = "spox" if post["account"] == "spox" else post["account"]
        handle = (SPOX if acc == "spox" else ACCOUNTS[acc])["handle"]
        author_id = (SPOX if acc == "spox" else ACCOUNTS[acc])["platform_id"]
        text, urls, media, refs = post["text"], [], [], None
        if post.get("kind") == "repost":
            orig = post["rt_of"]
            text = f"RT @{SPOX['handle']}: {orig['text']}"
            text = text if len(text) <= 140 else text[:139] + "…"
            refs = [{"type": "retweeted", "id": orig["id"]}]
        if post.get("link"):
            link = self.short(post["link"])
            start = text.index(" {fb_link}") + 1 if "{fb_link}" in text else len(text) + 1
            text = text.replace("{fb_link}", link) if "{fb_link}" in text else f"{text} {link}"
            urls.append({"start": start, "end": start + len(link), "url": link, "expanded_url": post["link"],
                         "display_url": post["link"].split("://", 1)[1][:26] + "…"})
        if post.get("photo"):
            key, url, obj = self.media(post["id"], handle)
            url.update(start=len(text) + 1, end=len(text) + 1 + len(url["url"]))
            text = f"{text} {url['url']}"
            urls.append(url)
            media.append(obj)
        tweet = self.base(post["id"], text, post["created"], author_id, post["id"], post.get("lang", "en"))
        tweet["public_metrics"] = {"retweet_count": int(self.rng.integers(2, 40)),
                                   "reply_count": self.children.get(post["id"], 0),
                                   "like_count": int(self.rng.integers(10, 160)), "quote_count": 0}
        if refs:
            tweet["referenced_tweets"] = refs
        self.finish(tweet, text, urls, media)
        return tweet, media

    def reply_tweet(self, r: dict) -> tuple[dict, list[dict]]:
        root, parent, person = r["root"], r.get("parent"), r["author"]
        root_handle = ACCOUNTS[root["account"]]["handle"]
        lead: list[str] = []
        if parent is not None:
            if parent is not root and parent["author"] is not person:
                lead.append(parent["author"]["handle"])
            if root_handle not in lead:
                lead.append(root_handle)
        text = ("".join(f"@{h} " for h in lead) + r["text"]).strip()
        urls, media = [], []
        if r.get("quoted") is not None:
            q = r["quoted"]
            link = self.short("q" + q["id"])
            urls.append({"start": len(text) + 1, "end": len(text) + 1 + len(link), "url": link,
                         "expanded_url": f"https://twitter.com/{person['handle']}/status/{q['id']}",
                         "display_url": f"twitter.com/{person['handle']}/…"})
            text = f"{text} {link}"
        if r.get("photo"):
            key, url, obj = self.media(r["id"], person["handle"])
            url.update(start=len(text) + 1, end=len(text) + 1 + len(url["url"]))
            text = f"{text} {url['url']}"
            urls.append(url)
            media.append(obj)
        lang = r["lang"] if r["lang"] in ("ru", "en", "zh", "und") else "und" if r["lang"] == "mixed" else \
            ("und" if int(r["id"]) % 10 < 3 else "kk")
        conv = root["id"] if parent is not None else r["id"]
        tweet = self.base(r["id"], text, r["created"], person["id"], conv, lang)
        tweet["public_metrics"] = {"retweet_count": int(self.rng.poisson(0.4)),
                                   "reply_count": self.children.get(r["id"], 0),
                                   "like_count": int(self.rng.poisson(2.5)), "quote_count": self.quotes.get(r["id"], 0)}
        refs = []
        if parent is not None:
            refs.append({"type": "replied_to", "id": parent["id"]})
            target = parent["author"]["id"] if parent is not root else ACCOUNTS[root["account"]]["platform_id"]
            tweet["in_reply_to_user_id"] = target
        if r.get("quoted") is not None:
            refs.append({"type": "quoted", "id": r["quoted"]["id"]})
        if refs:
            tweet["referenced_tweets"] = refs
        self.finish(tweet, text, urls, media)
        return tweet, media

    def base(self, tid: str, text: str, when: datetime, author: str, conv: str, lang: str) -> dict:
        source = str(self.rng.choice(["Twitter for iPhone", "Twitter for Android", "Twitter Web App"]))
        return {"id": tid, "text": text, "created_at": iso_z(when), "author_id": author, "conversation_id": conv,
                "lang": lang, "source": source, "reply_settings": "everyone", "possibly_sensitive": False}

    def finish(self, tweet: dict, text: str, urls: list, media: list) -> None:
        ent = self.entities(text, urls)
        if ent:
            tweet["entities"] = ent
        if media:
            tweet["attachments"] = {"media_keys": [m["media_key"] for m in media]}

    def render(self, item: dict) -> tuple[dict, list[dict], object]:
        """A tweet object, its media, and its author (account key or person), cached by id."""
        if item["id"] not in self.cache:
            if "root" in item:
                tweet, media = self.reply_tweet(item)
                author = item["author"]
            else:
                tweet, media = self.post_tweet(item)
                author = item["account"]
            self.cache[item["id"]] = (tweet, media, author)
        return self.cache[item["id"]]

    def referenced(self, item: dict) -> list[dict]:
        if "root" in item:
            return [x for x in (item.get("parent"), item.get("quoted")) if x is not None]
        return [item["rt_of"]] if item.get("rt_of") else []

    def pages(self, items: list[dict], query: str, retrieved: datetime) -> list[str]:
        items = sorted(items, key=lambda i: int(i["id"]), reverse=True)
        lines = []
        for n, start in enumerate(range(0, len(items), PAGE_SIZE)):
            chunk = items[start:start + PAGE_SIZE]
            data, users, tweets, media = [], {}, {}, {}
            for item in chunk:
                tweet, med, author = self.render(item)
                data.append(tweet)
                self.add_user(users, author)
                for m in med:
                    media[m["media_key"]] = m
                for ref in self.referenced(item):
                    rt, rmed, rauthor = self.render(ref)
                    tweets[rt["id"]] = rt
                    self.add_user(users, rauthor)
                    for m in rmed:
                        media[m["media_key"]] = m
                for mention in tweet.get("entities", {}).get("mentions", []):
                    self.add_mentioned(users, mention["username"])
            includes = {"users": list(users.values())}
            if tweets:
                includes["tweets"] = list(tweets.values())
            if media:
                includes["media"] = list(media.values())
            meta = {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"], "result_count": len(data)}
            if start + PAGE_SIZE < len(items):
                meta["next_token"] = "".join(self.rng.choice(list(string.ascii_lowercase + string.digits), size=45))
            url = (f"https://api.twitter.com/2/tweets/search/all?{SEARCH_FIELDS}&query={quote(query, safe='')}"
                   "&start_time=2019-10-01T00%3A00%3A00%2B00%3A00&end_time=2020-06-01T00%3A00%3A00%2B00%3A00")
            twarc = {"url": url, "version": "2.10.4",
                     "retrieved_at": (retrieved + timedelta(seconds=3 * n)).isoformat(timespec="seconds")}
            lines.append(dumps({"data": data, "includes": includes, "meta": meta, "__twarc": twarc}))
        return lines

    def add_user(self, users: dict, author) -> None:
        obj = self.user(author)
        users.setdefault(obj["id"], obj)

    def add_mentioned(self, users: dict, handle: str) -> None:
        for key, acc in ACCOUNTS.items():
            if acc["platform"] == "x" and acc["handle"] == handle:
                return self.add_user(users, key)
        person = self.demo.by_handle.get(handle)
        if person is not None:
            self.add_user(users, person)


def write_x(demo, out: Path, rng: np.random.Generator) -> list[Path]:
    xw = XWriter(demo, rng)
    written = []
    for n, key in enumerate(k for k, a in ACCOUNTS.items() if a["platform"] == "x"):
        handle = ACCOUNTS[key]["handle"]
        posts = [p for p in demo.posts if p["account"] == key]
        retrieved = datetime(2021, 4, 12, 10, 31, 7, tzinfo=timezone.utc) + timedelta(minutes=7 * n)
        path = out / f"x-{handle}-tweets.jsonl"
        path.write_text("\n".join(xw.pages(posts, f"from:{handle}", retrieved)) + "\n", encoding="utf-8")
        replies = [r for r in demo.replies if r["root"]["account"] == key]
        path2 = out / f"x-{handle}-replies.jsonl"
        query = f"(to:{handle} OR @{handle}) -from:{handle}"
        path2.write_text("\n".join(xw.pages(replies, query, retrieved + timedelta(minutes=3))) + "\n",
                         encoding="utf-8")
        written += [path, path2]
    return written


def fmt_int(n: int) -> str:
    return f"{n:,}"


def write_crowdtangle(demo, out: Path, rng: np.random.Generator) -> Path:
    acc = ACCOUNTS["amb_fb"]
    posts = sorted((p for p in demo.posts if p["account"] == "amb_fb"), key=lambda p: p["created"], reverse=True)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CT_COLUMNS)
    for p in posts:
        days = (p["created"] - demo_answers.VEILED_FB_AT).total_seconds() / 86400
        wave = 0 <= days < 9
        comments = 2417 if p["tag"] == "veiled" else int(rng.poisson(420 * np.exp(-days / 2.5))) if wave \
            else int(rng.lognormal(2.6, 0.7))
        angry = int(comments * 0.78) if wave else int(rng.poisson(1.5 if p["category"] == "attack" else 0.2))
        likes, love = int(rng.lognormal(4.8, 0.5)), int(rng.lognormal(2.0, 0.8))
        haha = int(comments * 0.3) if wave else int(rng.poisson(1.0))
        shares, wow, sad, care = int(rng.lognormal(2.5, 0.8)), int(rng.poisson(2)), int(rng.poisson(1)), 0
        total = likes + comments + shares + love + wow + haha + sad + angry + care
        ptype = "Status" if p["tag"] == "veiled" else str(rng.choice(["Photo", "Photo", "Status", "Link"]))
        url = f"https://www.facebook.com/{acc['handle']}/posts/{p['id']}"
        link = f"https://www.facebook.com/{acc['handle']}/photos/a.{acc['platform_id']}/{p['id']}/?type=3" \
            if ptype == "Photo" else "https://kz.chineseembassy.example/ru/news/" + p["id"][-6:] + ".html" \
            if ptype == "Link" else ""
        followers = 41200 + int((p["created"] - demo_answers.VEILED_FB_AT).days * 9.5) + 1500
        score = 38.42 if p["tag"] == "veiled" else round(float(rng.normal(0.1, 1.4)) + (6 if wave else 0), 2)
        writer.writerow([acc["display_name"], acc["handle"], acc["platform_id"], "GOVERNMENT_OFFICIAL", "KZ",
                         "Official page of Ambassador Zhao Lin (demo data for envoywatch).", acc["created"],
                         followers - 1800, followers, p["created"].strftime("%Y-%m-%d %H:%M:%S UTC"),
                         p["created"].strftime("%Y-%m-%d"), p["created"].strftime("%H:%M:%S"), ptype, fmt_int(total),
                         likes, comments, shares, love, wow, haha, sad, angry, care, "", "-", 0, 0, 0, 0, url,
                         p["text"], link, link if ptype == "Link" else "", "", "", "", "", "", "", f"{score:.2f}"])
    path = out / f"facebook-{acc['handle']}-crowdtangle.csv"
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def tg_text(text: str) -> tuple[object, list[dict]]:
    """Telegram Desktop `text`: a plain string, or a list of strings and entity objects."""
    parts, pos = [], 0
    for m in re.finditer(r"#\w+|https?://\S+", text):
        if m.start() > pos:
            parts.append(text[pos:m.start()])
        parts.append({"type": "hashtag" if m.group().startswith("#") else "link", "text": m.group()})
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    entities = [p if isinstance(p, dict) else {"type": "plain", "text": p} for p in parts]
    if len(parts) == 1 and isinstance(parts[0], str):
        return parts[0], entities
    return parts, entities


def tg_message(mid: int, when: datetime, sender: str, sender_id: str, text: str, photo: bool = False) -> dict:
    msg = {"id": mid, "type": "message", "date": when.astimezone(ALMATY).strftime("%Y-%m-%dT%H:%M:%S"),
           "date_unixtime": str(int(when.timestamp())), "from": sender, "from_id": sender_id}
    if photo:
        msg.update(photo=NOT_INCLUDED, width=1280, height=960)
    msg["text"], msg["text_entities"] = tg_text(text)
    return msg


def write_telegram(demo, out: Path, rng: np.random.Generator) -> list[Path]:
    acc = ACCOUNTS["emb_tg"]
    posts = [p for p in demo.posts if p["account"] == "emb_tg"]
    chan_from = acc["platform_id"]  # Telegram Desktop's from_id of a channel: "channel" + its id
    messages = []
    for p in posts:
        if p["tag"] is None and rng.random() < 0.3:
            p["text"] = f"{p['text']}\n\n#Китай #Казахстан"
        if p["tag"] is None and rng.random() < 0.15:
            p["text"] = f"{p['text']}\nПодробнее: https://kz.chineseembassy.example/ru/news/{p['id']}.html"
        msg = tg_message(int(p["id"]), p["created"], acc["display_name"], chan_from, p["text"], p["photo"])
        if p["tag"] is None and rng.random() < 0.05:
            edited = p["created"] + timedelta(minutes=int(rng.integers(3, 90)))
            msg = {**{k: v for k, v in msg.items() if k not in ("text", "text_entities")},
                   "edited": edited.astimezone(ALMATY).strftime("%Y-%m-%dT%H:%M:%S"),
                   "edited_unixtime": str(int(edited.timestamp())), "text": msg["text"],
                   "text_entities": msg["text_entities"]}
        messages.append(msg)
    chan = {"name": acc["display_name"], "type": "public_channel", "id": int(chan_from[7:]), "messages": messages}
    group = {"name": "Посольство КНР в Казахстане — обсуждение (demo)", "type": "public_supergroup",
             "id": demo_answers.TG_GROUP_ID, "messages": group_messages(demo, posts, acc, chan_from)}
    paths = [out / f"telegram-{acc['handle']}-result.json", out / f"telegram-{acc['handle']}_chat-result.json"]
    for path, export in zip(paths, (chan, group)):
        path.write_text(json.dumps(export, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return paths


def group_messages(demo, posts: list[dict], acc: dict, chan_from: str) -> list[dict]:
    """The discussion group: each channel post auto-forwarded, then comments replying to it."""
    events = [(p["created"] + timedelta(seconds=2), 0, p) for p in posts]
    events += [(c["created"], 1, c) for c in demo.tg_comments]
    events.sort(key=lambda e: (e[0], e[1]))
    messages, next_id = [], 2041
    for when, is_comment, item in events:
        if is_comment:
            parent = item["parent"] or item["post"]
            msg = tg_message(next_id, when, item["author"]["name"], f"user{item['author']['tg_id']}", item["text"],
                             item["photo"])
            msg = {**{k: v for k, v in msg.items() if k not in ("text", "text_entities")},
                   "reply_to_message_id": parent["group_id"], "text": msg["text"],
                   "text_entities": msg["text_entities"]}
        else:
            msg = tg_message(next_id, when, acc["display_name"], chan_from, item["text"], item["photo"])
            msg = {**{k: v for k, v in msg.items() if k not in ("text", "text_entities")},
                   "forwarded_from": acc["display_name"], "text": msg["text"], "text_entities": msg["text_entities"]}
        item["group_id"] = next_id
        messages.append(msg)
        next_id += 1
    return messages


def write_accounts(out: Path) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["actor", "role", "sending_country", "host_country", "platform", "handle", "platform_id",
                     "display_name"])
    for acc in ACCOUNTS.values():
        writer.writerow([acc["actor"], acc["role"], acc["sending_country"], acc["host_country"], acc["platform"],
                         acc["handle"], acc["platform_id"], acc["display_name"]])
    path = out / "accounts.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


GENERATED = ("x-*.jsonl", "facebook-*.csv", "telegram-*.json", "answers/*.json", "accounts.csv", "README.md")


def write_all(demo, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for pattern in GENERATED:  # files of an earlier run that this run might not rewrite
        for old in out.glob(pattern):
            old.unlink()
    rng = np.random.default_rng(demo_answers.FORMAT_SEED)
    demo.by_handle = {p["handle"]: p for p in demo.people.all}
    written = [write_accounts(out)]
    written += write_x(demo, out, rng)
    written.append(write_crowdtangle(demo, out, rng))
    written += write_telegram(demo, out, rng)
    written += demo_answers.write_answers(demo, out, written)
    return written
