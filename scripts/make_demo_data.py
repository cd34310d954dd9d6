#!/usr/bin/env python3
"""Generate the bundled envoywatch demo data: a synthetic CN-in-KZ story in real export formats.

Run `python scripts/make_demo_data.py [--out DIR]`; the default DIR is src/envoywatch/data/demo.
The seed is fixed, so two runs write byte-identical files. Stdlib and numpy only.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_formats as fmt  # noqa: E402
import demo_posts as P  # noqa: E402
import demo_replies as R  # noqa: E402
from demo_planted import ACCOUNTS, PLANTED, SPOX, SPOX_TWEETS  # noqa: E402
from demo_planted import HANDLE_WORDS, KK_FIRST, KK_LAST, LATIN, RU_FIRST, RU_LAST, surname  # noqa: E402

SEED = 20200318
UTC = timezone.utc
START = datetime(2019, 10, 1, tzinfo=UTC)
VEILED_AT = datetime(2020, 3, 18, 13, 40, 9, tzinfo=UTC)
SHIFT_FROM = datetime(2020, 3, 25, tzinfo=UTC)
END = datetime(2020, 5, 31, 23, 0, tzinfo=UTC)
COVID_FROM = datetime(2020, 1, 22, tzinfo=UTC)
WAVE_END = datetime(2020, 3, 28, tzinfo=UTC)
TWEPOCH_MS = 1288834974657
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "envoywatch" / "data" / "demo"


def pool_name(pool: dict) -> str:
    return next(name for name in ("FRIENDLY", "AFTERMATH", "SUPPORTIVE", "MIXED", "MILD_CRITICAL", "AGREE", "HOSTILE")
                if getattr(R, name) is pool)


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


class Ids:
    """Unique, time-ordered ids: X snowflakes, Facebook post ids, Telegram user ids."""

    def __init__(self, rng: np.random.Generator):
        self.rng, self.used = rng, set()

    def snowflake(self, when: datetime) -> str:
        ms = int(when.timestamp() * 1000) - TWEPOCH_MS
        while True:
            sid = (ms << 22) | (int(self.rng.integers(0, 1024)) << 12) | int(self.rng.integers(0, 4096))
            if sid not in self.used:
                self.used.add(sid)
                return str(sid)

    def number(self, low: int, high: int) -> str:
        while True:
            n = int(self.rng.integers(low, high))
            if n not in self.used:
                self.used.add(n)
                return str(n)


class People:
    """The host public who reply: distinct X and Telegram users with names and handles."""

    def __init__(self, rng: np.random.Generator, ids: Ids):
        self.rng, self.ids, self.all, self.handles = rng, ids, [], set()
        self.regulars = [self.new(rng.choice(["ru", "kk", "en"], p=[0.45, 0.35, 0.2])) for _ in range(140)]

    def new(self, lang: str) -> dict:
        rng = self.rng
        if lang == "ru" and rng.random() < 0.5:
            first, last = str(rng.choice(RU_FIRST)), str(rng.choice(RU_LAST))
        else:
            first, last = str(rng.choice(KK_FIRST)), str(rng.choice(KK_LAST))
        last = surname(first, last)
        handle = self._handle(first, last)
        created = datetime(2009, 1, 1, tzinfo=UTC) + timedelta(days=int(rng.integers(0, 3900)))
        uid = self.ids.number(10**7, 10**10) if created.year < 2014 else self.ids.snowflake(created)
        style = rng.random()
        name = f"{first} {last}" if style < 0.55 else first if style < 0.75 else f"{first} 🇰🇿" if style < 0.88 else handle
        person = dict(id=uid, handle=handle, name=name, lang=lang, created=created,
                      tg_id=self.ids.number(10**8, 2 * 10**9), followers=int(rng.lognormal(4.5, 1.3)))
        self.all.append(person)
        return person

    def _handle(self, first: str, last: str) -> str:
        rng = self.rng
        base = LATIN.get(first, "user")
        while True:
            shape = rng.random()
            if shape < 0.35:
                h = f"{base}_{int(rng.integers(1, 999))}"
            elif shape < 0.7:
                h = f"{base}{rng.choice(HANDLE_WORDS)}"
            else:
                h = f"{rng.choice(HANDLE_WORDS)}_{base}{int(rng.integers(70, 99))}"
            if h.lower() not in self.handles and len(h) <= 15:
                self.handles.add(h.lower())
                return h

    def pick(self, lang: str, fresh: float) -> dict:
        """A replier: a new person with probability `fresh`, else a regular of that language."""
        if self.rng.random() < fresh:
            return self.new(lang if lang in ("ru", "kk", "en") else "ru")
        pool = [p for p in self.regulars if p["lang"] == lang] or self.regulars
        return pool[int(self.rng.integers(0, len(pool)))]


class Demo:
    """Builds the whole story in memory: posts per account, X replies, Telegram comments."""

    def __init__(self):
        self.rng = np.random.default_rng(SEED)
        self.ids = Ids(self.rng)
        self.people = People(self.rng, self.ids)
        self.posts: list[dict] = []
        self.replies: list[dict] = []
        self.tg_comments: list[dict] = []
        self.used_texts: set = set()

    # ---------- posts ----------
    def fill(self, text: str, when: datetime) -> str:
        rng = self.rng
        day = when + timedelta(days=int(rng.integers(2, 21)))
        values = {k: str(rng.choice(v)) for k, v in P.SLOTS.items()}
        values.update(n=str(int(rng.choice([7, 9, 12, 15, 21, 30, 48, 60, 120, 500, 2000, 10000, 50000]))),
                      date_en=day.strftime("%d %B"), date_ru=day.strftime("%d.%m"),
                      date_kk=day.strftime("%d.%m"), date_zh=f"{day.month}月{day.day}日")
        return text.format(**values) if "{" in text else text

    def add_post(self, account: str, when: datetime, lang: str, category: str, targets: list, text: str,
                 tag: str | None = None) -> dict:
        platform = ACCOUNTS[account]["platform"]
        pid = {"x": lambda: self.ids.snowflake(when), "facebook": lambda: self.ids.number(10**15, 4 * 10**15),
               "telegram": lambda: "0"}[platform]()
        post = dict(account=account, platform=platform, id=pid, created=when, lang=lang, category=category,
                    targets=list(targets), text=text, tag=tag, photo=bool(self.rng.random() < 0.45),
                    kind="original", rt_of=None, link=None)
        self.posts.append(post)
        return post

    def random_time(self, lo: datetime, hi: datetime, day: str | None = None) -> datetime:
        if day:
            base = ts(day + "T00:00:00")
        else:
            base = lo + timedelta(days=int(self.rng.integers(0, max(1, (hi - lo).days))))
        return base + timedelta(hours=int(self.rng.integers(3, 14)), minutes=int(self.rng.integers(0, 60)),
                                seconds=int(self.rng.integers(0, 60)))

    def schedule(self, account: str, seeds: list, lo: datetime, hi: datetime, repeats: int = 0) -> None:
        """Place each seed once (and slot seeds `repeats` more times) at random times in [lo, hi)."""
        items = list(seeds) + [s for s in seeds if "{" in s[3]] * repeats
        for i in self.rng.permutation(len(items)):
            lang, category, targets, text, *day = items[int(i)]
            lo2 = max(lo, COVID_FROM) if category == "covid" else lo
            when = self.random_time(lo2, hi, day[0] if day else None)
            if category == "attack" and when >= VEILED_AT - timedelta(hours=6):
                when = self.random_time(lo2, VEILED_AT - timedelta(days=1))
            for _ in range(6):
                filled = self.fill(text, when)
                if (account, filled) not in self.used_texts:
                    self.used_texts.add((account, filled))
                    self.add_post(account, when, lang, category, targets, filled)
                    break

    def build_posts(self) -> None:
        pre, mid = VEILED_AT - timedelta(days=1), datetime(2020, 3, 19, tzinfo=UTC)
        self.schedule("emb_x", P.EMBASSY_X_PHASE1 + P.BILATERAL[:16], START, pre)
        self.schedule("emb_x", P.EMBASSY_X_NEUTRAL + P.EMBASSY_X_COVID, START, pre, repeats=3)
        self.schedule("emb_x", P.BILATERAL[16:19], mid, SHIFT_FROM)
        self.schedule("emb_x", P.BILATERAL[19:] + P.AID, SHIFT_FROM, END, repeats=1)
        self.schedule("amb_x", P.AMBASSADOR_X_PHASE1, START, pre)
        self.schedule("amb_x", P.AMBASSADOR_X_ROUTINE, START, pre, repeats=3)
        self.schedule("amb_x", P.AMBASSADOR_X_ROUTINE[:3], mid, SHIFT_FROM)
        self.schedule("amb_x", P.AMBASSADOR_X_ROUTINE + P.AMBASSADOR_PHASE2[:4], SHIFT_FROM, END, repeats=1)
        self.schedule("amb_fb", P.AMBASSADOR_FB_PHASE1, START, pre)
        self.schedule("amb_fb", P.AMBASSADOR_FB_ROUTINE, START, pre, repeats=4)
        self.schedule("amb_fb", P.AMBASSADOR_FB_ROUTINE + P.AMBASSADOR_PHASE2[4:], SHIFT_FROM, END, repeats=2)
        self.schedule("emb_tg", P.TELEGRAM_PHASE1, START, pre)
        routine_pre = [s for s in P.TELEGRAM_ROUTINE if s[1] != "aid"] + P.TELEGRAM_EXTRA
        self.schedule("emb_tg", routine_pre, START, pre, repeats=5)
        self.schedule("emb_tg", [s for s in P.TELEGRAM_ROUTINE if s[1] in ("aid", "bilateral")] + P.TELEGRAM_PHASE2,
                      SHIFT_FROM, END, repeats=4)
        self.schedule("jp_x", P.JAPAN_X, START, END, repeats=5)
        for tag, account, when, lang, category, targets, text in PLANTED:
            self.add_post(account, ts(when), lang, category, targets, text, tag=tag)
        self.add_retweets()
        self.posts.sort(key=lambda p: (p["created"], p["account"]))
        self.link_crossposts()
        self.number_telegram()

    def add_retweets(self) -> None:
        for when, text in SPOX_TWEETS:
            original = dict(account="spox", platform="x", id=self.ids.snowflake(ts(when)), created=ts(when),
                            lang="en", text=text)
            rt_at = ts(when) + timedelta(minutes=int(self.rng.integers(40, 300)))
            post = self.add_post("emb_x", rt_at, "en", "attack", ["US"], text, tag="retweet")
            post.update(kind="repost", rt_of=original, photo=False)

    def link_crossposts(self) -> None:
        fb = next(p for p in self.posts if p["tag"] == "cp_award" and p["platform"] == "facebook")
        fb_url = f"https://www.facebook.com/{ACCOUNTS['amb_fb']['handle']}/posts/{fb['id']}"
        for p in self.posts:
            if p["tag"] == "cp_award" and p["platform"] == "x":
                p["link"] = fb_url
                p["photo"] = False
            if p["tag"] == "veiled" or (p["tag"] or "").startswith("cp_"):
                p["photo"] = False  # a photo would add a t.co link and break the exact copy

    def number_telegram(self) -> None:
        next_id = 412
        for p in self.posts:
            if p["platform"] == "telegram":
                p["id"] = str(next_id)
                next_id += 1 + int(self.rng.random() < 0.1)  # a deleted message leaves a gap

    # ---------- replies ----------
    def compose(self, pool: dict, lang: str, decorate: float = 0.5) -> str:
        """One reply text: a core sentence, sometimes with an opener, a closer or an emoji."""
        rng = self.rng
        if lang == "mixed":
            a, b = ("kk", "ru") if rng.random() < 0.6 else ("en", "ru")
            return f"{self.compose(pool, a, 0)} {rng.choice(R.CLOSERS[b])}"
        angry = pool is R.HOSTILE
        sep = "" if lang == "zh" else " "
        for _ in range(12):
            text = str(rng.choice(pool[lang]))
            if angry and rng.random() < decorate * 0.5:
                opener = str(rng.choice(R.OPENERS[lang]))
                if opener[-1] not in ".?!" and lang != "zh":
                    text = text[0].lower() + text[1:]
                text = f"{opener}{sep}{text}"
            if angry and rng.random() < decorate * 0.5:
                text = f"{text}{sep}{rng.choice(R.CLOSERS[lang])}"
            if rng.random() < decorate * 0.4:
                emoji = R.EMOJI if angry else R.SOFT_EMOJI.get(pool_name(pool), [])
                if emoji:
                    text = f"{text} {rng.choice(emoji)}"
            if lang != "zh" and rng.random() < 0.12:
                text = text.rstrip(".!")
            if text not in self.used_texts:
                break
        self.used_texts.add(text)
        return text

    def reply_lang(self, wave: bool) -> str:
        if wave:
            return str(self.rng.choice(["ru", "kk", "en", "zh", "mixed"], p=[0.42, 0.33, 0.2, 0.02, 0.03]))
        return str(self.rng.choice(["ru", "kk", "en", "zh"], p=[0.45, 0.22, 0.25, 0.08]))

    def add_reply(self, root: dict, parent: dict, when: datetime, person: dict, lang: str, label: str,
                  text: str, **extra) -> dict:
        reply = dict(platform="x", id=self.ids.snowflake(when), created=when, author=person, lang=lang,
                     label=label, text=text, root=root, parent=parent, photo=False, blocker=None,
                     form="reply", **extra)
        self.replies.append(reply)
        return reply

    def reply_plan(self, post: dict) -> tuple[int, dict, bool]:
        """How many replies a post gets, the label mix, and whether it is part of the wave."""
        rng, when, acc = self.rng, post["created"], post["account"]
        if post["tag"] == "veiled" and acc == "emb_x":
            return 1200, {"hostile": 0.78, "supportive": 0.08, "mixed": 0.06, "agree": 0.08}, True
        if acc in ("emb_x", "amb_x") and VEILED_AT < when < WAVE_END:
            days = (when - VEILED_AT).total_seconds() / 86400
            n = int(rng.poisson((260 if post["tag"] == "last_attack" else 170) * np.exp(-days / 2.5)))
            return n, {"hostile": 0.72, "supportive": 0.08, "mixed": 0.08, "agree": 0.12}, True
        if acc == "jp_x":
            return int(rng.poisson(1.6)), {"friendly": 1.0}, False
        base = 3.2 if acc == "emb_x" else 2.4
        if when >= SHIFT_FROM:
            return int(rng.poisson(base * 1.4)), {"aftermath": 0.5, "friendly": 0.38, "hostile": 0.12}, False
        if post["category"] == "attack":
            return int(rng.poisson(base * 1.8)), {"mild_critical": 0.4, "supportive": 0.3, "friendly": 0.1,
                                                  "agree": 0.2}, False
        return int(rng.poisson(base)), {"friendly": 0.85, "mild_critical": 0.1, "supportive": 0.05}, False

    def build_x_replies(self) -> None:
        for post in [p for p in self.posts if p["platform"] == "x" and p["kind"] == "original"]:
            n, mix, wave = self.reply_plan(post)
            labels, weights = list(mix), np.array(list(mix.values()))
            thread: list[dict] = []
            for _ in range(n):
                label = str(self.rng.choice(labels, p=weights / weights.sum()))
                delay = self.rng.exponential(16 if post["tag"] == "veiled" else 5 if wave else 4)
                when = post["created"] + timedelta(hours=min(delay, 140), seconds=int(self.rng.integers(20, 600)))
                thread.append(self.one_reply(post, label, when, wave, thread))

    def one_reply(self, post: dict, label: str, when: datetime, wave: bool, thread: list) -> dict:
        critical = [r for r in thread if r["label"] in ("hostile", "mild_critical") and r["created"] < when]
        if label == "agree" and not critical:
            label = "hostile" if wave else "friendly"
        lang = self.reply_lang(wave)
        if label == "agree":
            parent = critical[int(self.rng.integers(0, len(critical)))]
            lang = parent["lang"] if parent["lang"] in R.AGREE else "ru"
            person = self.people.pick(lang, 0.7)
            return self.add_reply(post, parent, when, person, lang, "agree", self.compose(R.AGREE, lang, 0.2))
        pool = {"hostile": R.HOSTILE, "supportive": R.SUPPORTIVE, "mixed": R.MIXED, "friendly": R.FRIENDLY,
                "mild_critical": R.MILD_CRITICAL, "aftermath": R.AFTERMATH}[label]
        if lang == "mixed" and label != "hostile":
            lang = "ru"
        person = self.people.pick("ru" if lang in ("mixed", "zh") else lang, 0.85 if wave else 0.25)
        if label == "hostile" and self.rng.random() < 0.02:
            text = "".join(self.rng.choice(R.EMOJI, size=int(self.rng.integers(1, 4))))
            return self.add_reply(post, post, when, person, "und", label, text)
        return self.add_reply(post, post, when, person, lang, label, self.compose(pool, lang))

    def plant_blocks(self) -> None:
        """At least 40 distinct people report being blocked; some twice, some with a screenshot."""
        rng = self.rng
        veiled = next(p for p in self.posts if p["tag"] == "veiled" and p["account"] == "emb_x")
        amb_wave = [p for p in self.posts if p["account"] == "amb_x" and VEILED_AT < p["created"] < WAVE_END]
        shots = set(int(i) for i in rng.choice(len(R.BLOCK_REPORTS), size=15, replace=False))
        forms = ["mention"] * 19 + ["self_reply"] * 14 + ["reply_other"] * 10 + ["quote"] * 5
        forms = [forms[int(i)] for i in rng.permutation(len(forms))]
        reports = []
        for i, (lang, blocker, text) in enumerate(R.BLOCK_REPORTS):
            root = veiled if blocker == "emb" or not amb_wave else amb_wave[int(rng.integers(0, len(amb_wave)))]
            person = self.people.new(lang if lang != "zh" else "kk")
            first_at = root["created"] + timedelta(hours=float(rng.exponential(10)) + 0.2)
            own = self.add_reply(root, root, first_at, person, lang, "hostile",
                                 self.compose(R.HOSTILE, lang))
            when = first_at + timedelta(hours=float(rng.uniform(0.3, 60)))
            report = self.block_report(root, own, when, person, lang, text, forms[i % len(forms)], blocker)
            report["photo"] = i in shots
            reports.append(report)
        for j, first in enumerate(reports[:4]):
            lang = first["lang"] if first["lang"] in R.BLOCK_REPEATS else "ru"
            when = first["created"] + timedelta(days=float(rng.uniform(2, 6)))
            again = self.block_report(first["root"], first, when, first["author"], lang, R.BLOCK_REPEATS[lang],
                                      "mention", first["blocker"])
            again["label"] = "block_report_repeat"
            again["photo"] = j % 2 == 0

    def block_report(self, root, own, when, person, lang, text, form, blocker) -> dict:
        blocker = "emb_x" if blocker in ("emb", "emb_x") else "amb_x"
        handle = ACCOUNTS[blocker]["handle"]
        if form == "reply_other":
            others = [r for r in self.replies if r["root"] is root and r["label"] == "hostile"
                      and r["author"] is not person and r["created"] < when]
            parent = others[int(self.rng.integers(0, len(others)))] if others else own
        else:
            parent = own
        if form in ("mention", "quote") and f"@{handle}" not in text:
            text = f"{text} @{handle}" if self.rng.random() < 0.5 else f"@{handle} {text}"
        report = self.add_reply(root, None if form in ("mention", "quote") else parent, when, person, lang,
                                "block_report", text, quoted=own if form == "quote" else None)
        report.update(form=form, blocker=blocker)
        return report

    def plant_hard_negatives(self) -> None:
        wave_posts = [p for p in self.posts if p["platform"] == "x" and p["account"] in ("emb_x", "amb_x")
                      and VEILED_AT <= p["created"] < WAVE_END and p["kind"] == "original"]
        calm = [p for p in self.posts if p["platform"] == "x" and p["account"] == "emb_x"
                and p["created"] < VEILED_AT and p["kind"] == "original"]
        for i, (lang, text) in enumerate(R.HARD_NEGATIVES):
            pool = wave_posts if i % 3 else calm
            root = pool[int(self.rng.integers(0, len(pool)))]
            when = root["created"] + timedelta(hours=float(self.rng.exponential(8)) + 0.1)
            self.add_reply(root, root, when, self.people.pick(lang if lang != "zh" else "ru", 0.6), lang,
                           "hard_negative", text)

    def build_tg_comments(self) -> None:
        rng = self.rng
        for post in [p for p in self.posts if p["platform"] == "telegram"]:
            when = post["created"]
            if post["tag"] == "veiled":
                n, pool = 160, "wave"
            elif VEILED_AT < when < WAVE_END:
                n, pool = int(rng.poisson(22)), "wave"
            elif when >= SHIFT_FROM:
                n, pool = int(rng.poisson(1.8)), "after"
            else:
                n, pool = int(rng.poisson(2.6 if post["category"] == "attack" else 1.2)), "base"
            comments: list[dict] = []
            for _ in range(n):
                at = when + timedelta(hours=float(rng.exponential(9 if pool == "wave" else 5)) + 0.02)
                comments.append(self.tg_comment(post, at, pool, comments))
            if post["tag"] == "veiled":
                for text in R.TG_BLOCK_REPORTS:
                    at = when + timedelta(hours=float(rng.uniform(3, 50)))
                    self.tg_comments.append(dict(post=post, parent=None, created=at, text=text, lang="ru",
                                                 label="block_report", author=self.people.new("ru"),
                                                 photo=bool(rng.random() < 0.5)))
        self.tg_comments.sort(key=lambda c: c["created"])

    def tg_comment(self, post: dict, at: datetime, pool: str, earlier: list) -> dict:
        rng = self.rng
        if pool == "wave":
            if rng.random() < 0.5:
                text, lang, label = str(rng.choice(R.TG_WAVE)), "ru", "hostile"
            else:
                lang = "kk" if rng.random() < 0.3 else "ru"
                text, label = self.compose(R.HOSTILE, lang), "hostile"
        elif pool == "after":
            text, lang, label = str(rng.choice(R.TG_AFTERMATH)), "ru", "aftermath"
        else:
            text, lang, label = str(rng.choice(R.TG_BASELINE)), "ru", "friendly"
        before = [c for c in earlier if c["created"] < at]
        parent = before[int(rng.integers(0, len(before)))] if before and rng.random() < 0.15 else None
        comment = dict(post=post, parent=parent, created=at, text=text, lang=lang, label=label,
                       author=self.people.pick(lang, 0.6), photo=False)
        self.tg_comments.append(comment)
        return comment

    def build(self) -> "Demo":
        self.build_posts()
        self.build_x_replies()
        self.plant_blocks()
        self.plant_hard_negatives()
        self.replies.sort(key=lambda r: (r["created"], r["id"]))
        self.build_tg_comments()
        return self


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory to write (default: %(default)s)")
    args = parser.parse_args(argv)
    demo = Demo().build()
    written = fmt.write_all(demo, args.out)
    print(f"wrote {len(written)} files to {args.out}: {len(demo.posts)} posts, {len(demo.replies)} X replies, "
          f"{len(demo.tg_comments)} Telegram comments")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
