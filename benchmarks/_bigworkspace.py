"""A generated workspace at analyst scale (1M watched posts, 5M replies, 500 accounts) for query benchmarks.

The schema comes from the project's migrations (`open_store`); rows go in through the DBAPI in chunks
(executemany on SQLite, COPY on PostgreSQL), with the secondary indexes dropped during the load and
rebuilt after it, and the full-text index built once at the end. Every chunk is seeded by its number,
so an interrupted run resumes where it stopped and produces the same rows.

    nice -n 15 .venv/bin/python benchmarks/_bigworkspace.py [--scale 0.01] [--pg URL]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import orjson

WORK = Path(os.environ.get("ENVOYWATCH_BENCH_WORK", "/tmp/envoywatch-bench"))
N_WATCHED = 500
POSTS_AT_1 = 1_000_000
REPLIES_PER_POST = 5
CHUNK = 20_000  # watched posts per chunk (plus their replies)
T0 = np.datetime64("2019-01-01T00:00:00", "s")
SPAN_S = 5 * 365 * 86400  # five years
VERSION = "bench-1"
PLATFORMS = ("x", "x", "x", "telegram", "facebook")
SENDERS = ("CN", "RU", "IR", "TR", "US", "GB", "FR", "IN", "SA", "VE")
HOSTS = ("KZ", "US", "GB", "DE", "FR", "JP", "BR", "ZA", "NG", "AR", "ES", "IT", "CA", "AU", "KE", "EG")
THIRD = ("US", "GB", "JP", "AU", "IN", "CA", "DE", "UA", "TW", "LT", "CZ", "PH", "KR", "NL", "PL")
LANGS = ("en", "ru", "zh", "es", "fr", "ar", "kk", "de")
LANG_P = (0.42, 0.2, 0.12, 0.1, 0.06, 0.04, 0.04, 0.02)
TOPICS = ("bilateral_cooperation", "trade_investment_bri", "covid19_health", "human_rights",
          "xinjiang_tibet_hk_taiwan", "security_military", "media_disinformation", "history_commemoration",
          "culture_education", "consular_visa", "international_organisations")
TECHNIQUES = ("whataboutism", "name_calling", "loaded_language", "flag_waving", "doubt", "smears",
              "appeal_to_fear", "exaggeration")
SEED_WORDS = (  # noqa: SIM905  (a word list reads better as prose)
    "embassy ambassador cooperation friendship trade vaccine masks virus lies media freedom "
              "students visa culture forum summit delegation minister investment railway corridor "
              "partnership security sovereignty interference hypocrisy democracy sanctions pipeline "
              "grain energy solar festival exhibition scholarship university consulate passport "
              "terrorism stability development prosperity peace dialogue agreement memorandum "
              "handshake anniversary victory heroes history truth propaganda fake narrative western "
              "colonial bully hegemony double standards smear campaign genocide camps reeducation "
              "tariff deficit supply chain factory harvest drought flood relief donation hospital "
              "doctors oxygen ventilator lockdown quarantine outbreak origin laboratory bats market "
              "congratulations condolences holiday lantern dragon tiger spring autumn mooncake "
              "Astana Almaty Beijing Moscow Washington London Paris Berlin Tokyo Delhi Pretoria "
              "Lagos Nairobi Cairo Madrid Rome Ottawa Canberra Brasilia Kyiv Taipei Vilnius Prague "
              "Manila Seoul Warsaw Tehran Ankara Riyadh Caracas").split()
SEARCH_TERMS = ("vaccine", "Vilnius", "hegemony sanctions")  # a common, a rare and a two-word search


def vocabulary(n: int = 6000) -> np.ndarray:
    """Real words first (most frequent), then made-up ones, so Zipf sampling gives realistic FTS lists."""
    rng = np.random.default_rng(7)
    syll = ["ka", "ro", "mi", "sen", "tu", "lo", "var", "del", "in", "ost", "ber", "na", "qui", "zha", "pol"]
    made = {"".join(rng.choice(syll, rng.integers(2, 5))) for _ in range(n * 2)}
    words = list(dict.fromkeys(SEED_WORDS)) + sorted(made - set(SEED_WORDS))
    rng.shuffle(words[40:])  # keep a few diplomacy words at the top, the rest spread over the ranks
    return np.array(words[:n], dtype=object)


def layout(scale: float, seed: int = 1) -> dict:
    """Accounts, actors and how many posts each watched account writes."""
    rng = np.random.default_rng(seed)
    n_posts = max(1000, int(POSTS_AT_1 * scale))
    weights = 1.0 / (np.arange(N_WATCHED) + 8.0) ** 0.9
    weights /= weights.sum()
    n_repliers = max(2000, int(200_000 * scale ** 0.5))
    acc_actor = np.concatenate([np.arange(100).repeat(2), 100 + np.arange(N_WATCHED - 200)]) + 1
    return {"n_posts": n_posts, "n_replies": n_posts * REPLIES_PER_POST, "weights": weights,
            "n_repliers": n_repliers, "acc_actor": acc_actor, "n_actors": int(acc_actor.max()),
            "acc_platform": np.array([("x", "telegram")[i % 2] if i < 200 else PLATFORMS[i % 5]
                                      for i in range(N_WATCHED)], dtype=object),
            "rep_platform": np.array([PLATFORMS[i % 5] for i in range(n_repliers)], dtype=object),
            "n_chunks": -(-n_posts // CHUNK), "seed": seed, "rng_state": rng.integers(1 << 30)}


def ts_strings(seconds: np.ndarray, pg: bool) -> np.ndarray:
    s = np.datetime_as_string(T0 + seconds.astype("timedelta64[s]"), unit="us")
    s = np.char.replace(s.astype(str), "T", " ")
    return np.char.add(s, "+00") if pg else s


def texts(rng, vocab: np.ndarray, n: int) -> list[str]:
    ranks = np.minimum(rng.zipf(1.15, size=(n, 28)) - 1, len(vocab) - 1)
    lengths = rng.integers(8, 28, size=n)
    return [" ".join(vocab[r[:k]]) for r, k in zip(ranks, lengths, strict=True)]


def actor_rows(lay: dict, now: str) -> tuple[list, list]:
    actors = []
    for a in range(1, lay["n_actors"] + 1):
        role = "embassy" if a % 3 else ("ambassador" if a % 2 else "ministry")
        actors.append((a, f"Bench actor {a:03d} ({role})", role, SENDERS[a % len(SENDERS)],
                       HOSTS[(a * 7) % len(HOSTS)], now))
    accs = []
    for i in range(N_WATCHED):
        p = lay["acc_platform"][i]
        accs.append((i + 1, p, f"bench_{p}_{i:03d}", str(10**6 + i), f"Watched {i}", int(lay["acc_actor"][i]),
                     True, f"https://example.org/{p}/bench_{i:03d}", now))
    for j in range(lay["n_repliers"]):
        p = lay["rep_platform"][j]
        accs.append((N_WATCHED + j + 1, p, f"user_{p}_{j}", str(10**8 + j), None, None, False, None, now))
    return actors, accs


POST_COLS = ("id", "platform", "platform_id", "account_id", "created_at", "text", "lang", "kind", "in_reply_to",
             "in_reply_to_handle", "conversation_id", "url", "metrics", "mentions", "has_media", "raw",
             "source_file", "source_line", "importer", "ingested_at")
ANN_COLS = ("post_id", "version", "lang", "propaganda", "propaganda_score", "undiplomatic", "hostility",
            "hostile", "stance", "block_claim", "data", "annotated_at")
MEN_COLS = ("post_id", "code", "role", "stance", "veiled", "confidence")
LAB_COLS = ("post_id", "kind", "label", "score")


def chunk_rows(lay: dict, vocab: np.ndarray, c: int, pg: bool, now: str) -> dict[str, list]:
    """Watched posts of chunk `c` (in time order) and the replies they drew: posts, annotations, mentions, labels."""
    rng = np.random.default_rng([lay["seed"], c])
    n = min(CHUNK, lay["n_posts"] - c * CHUNK)
    first_id = 1 + c * CHUNK * (1 + REPLIES_PER_POST)
    lo, hi = SPAN_S * c * CHUNK // lay["n_posts"], SPAN_S * (c * CHUNK + n) // lay["n_posts"]
    t = np.sort(rng.integers(lo, hi, size=n))
    acc = rng.choice(N_WATCHED, size=n, p=lay["weights"])
    kind = rng.choice(np.array(["original", "repost", "quote", "reply"], dtype=object), size=n,
                      p=(0.85, 0.08, 0.04, 0.03))
    lang = rng.choice(np.array(LANGS, dtype=object), size=n, p=LANG_P)
    pop = rng.lognormal(0, 1.4, size=n) * np.where(kind == "repost", 0.1, 1.0) * (lay["weights"][acc] * N_WATCHED)
    n_rep = rng.multinomial(n * REPLIES_PER_POST, pop / pop.sum())
    ids = first_id + np.arange(n)
    out = {"posts": [], "annotations": [], "mentions": [], "post_labels": []}
    ts = ts_strings(t, pg)
    body = texts(rng, vocab, n)
    plat = lay["acc_platform"][acc]
    for k in range(n):
        _watched_post(out, rng, lay, int(ids[k]), plat[k], int(acc[k]), ts[k], body[k], lang[k], kind[k], now)
    _replies(out, rng, lay, vocab, first_id + n, ids, t, plat, acc, n_rep, pg, now)
    return out


def _watched_post(out, rng, lay, pid, plat, acc, ts, body, lang, kind, now) -> None:
    handle = f"bench_{plat}_{acc:03d}"
    actor = int(lay["acc_actor"][acc])
    sender, host = SENDERS[actor % len(SENDERS)], HOSTS[(actor * 7) % len(HOSTS)]
    pid_s = str(10**15 + pid)
    metrics = orjson.dumps({"retweet_count": int(rng.integers(0, 50)), "like_count": int(rng.integers(0, 300)),
                            "reply_count": 0, "quote_count": 0}).decode()
    raw = orjson.dumps({"id": pid_s, "text": body, "author_id": str(10**6 + acc), "created_at": ts,
                        "lang": lang}).decode()
    in_reply = str(10**15 + max(1, pid - 7)) if kind == "reply" else None
    out["posts"].append((pid, plat, pid_s, acc + 1, ts, body, lang, kind, in_reply, None, in_reply or pid_s,
                         f"https://example.org/{handle}/{pid_s}", metrics, None, bool(rng.random() < 0.2), raw,
                         "bench.jsonl", pid, "bench", now))
    countries, targets = [], []
    for code, role, p in ((host, "host", 0.5), (sender, "sender", 0.3)):
        if rng.random() < p:
            countries.append({"code": code, "role": role, "stance": "friendly" if rng.random() < 0.6 else "neutral",
                              "veiled": False, "confidence": 0.95})
    if rng.random() < 0.15:
        code = THIRD[min(int(rng.zipf(1.6)) - 1, len(THIRD) - 1)]
        veiled = bool(rng.random() < 0.05)
        countries.append({"code": code, "role": "third", "stance": "hostile", "veiled": veiled,
                          "confidence": 0.7 if veiled else 0.95})
        targets.append(code)
    for m in countries:
        out["mentions"].append((pid, m["code"], m["role"], m["stance"], m["veiled"], m["confidence"]))
    topic = TOPICS[int(rng.integers(len(TOPICS)))]
    out["post_labels"].append((pid, "topic", topic, 0.5))
    score = float(rng.beta(1.2, 6))
    prop = score > 0.45
    if prop:
        out["post_labels"].append((pid, "technique", TECHNIQUES[int(rng.integers(len(TECHNIQUES)))], score))
    und = round(float(rng.beta(1.5, 8)) + (0.3 if targets else 0.0), 3)
    data = {"id": str(pid), "lang": lang, "countries": countries, "targets": targets, "topics": [topic],
            "propaganda": {"propaganda": prop, "score": round(score, 3)}, "undiplomatic": und, "block_claim": None}
    out["annotations"].append((pid, VERSION, lang, prop, round(score, 3), und, None, None, None, None,
                               orjson.dumps(data).decode(), now))


def _replies(out, rng, lay, vocab, first, ids, t, plat, acc, n_rep, pg, now) -> None:
    total = int(n_rep.sum())
    parent = np.repeat(np.arange(len(ids)), n_rep)
    delay = rng.exponential(6 * 3600, size=total).astype(np.int64) + 30
    rt = t[parent] + delay
    order = np.argsort(rt, kind="stable")
    parent, rt = parent[order], rt[order]
    ts = ts_strings(rt, pg)
    body = texts(rng, vocab, total)
    hostility = rng.beta(1.3, 2.5, size=total)
    lang = rng.choice(np.array(LANGS, dtype=object), size=total, p=LANG_P)
    pools = {p: np.flatnonzero(lay["rep_platform"] == p) for p in set(PLATFORMS)}
    pick = rng.zipf(1.3, size=total)
    for k in range(total):
        pid, par = first + k, int(parent[k])
        p = plat[par]
        pool = pools[p]
        rep_acc = int(pool[(int(pick[k]) * 7919 + k % 97) % len(pool)]) + N_WATCHED + 1
        parent_s, handle = str(10**15 + int(ids[par])), f"bench_{p}_{int(acc[par]):03d}"
        pid_s = str(10**15 + pid)
        h = round(float(hostility[k]), 4)
        block = bool(h > 0.6 and rng.random() < 0.01)
        text = f"@{handle} {body[k]}" + (" they blocked me" if block else "")
        out["posts"].append((pid, p, pid_s, rep_acc, ts[k], text, lang[k], "reply", parent_s, handle, parent_s,
                             None, None, None, False, None, "bench.jsonl", pid, "bench", now))
        stance = "oppose" if h > 0.5 else "support" if h < 0.2 else "neutral"
        data = {"id": str(pid), "lang": lang[k], "countries": [], "targets": [], "topics": [], "block_claim": block,
                "reply": {"hostility": h, "hostile": h > 0.5, "stance": stance, "block_claim": block}}
        out["annotations"].append((pid, VERSION, lang[k], None, None, None, h, h > 0.5, stance, block,
                                   orjson.dumps(data).decode(), now))


def event_rows(conn_rows, lay: dict, now: str) -> list[tuple]:
    """Backlash, block reports, cross-posts and shifts per watched account, with evidence post ids."""
    rng = np.random.default_rng([lay["seed"], 99])
    out = []
    for acc, posts in conn_rows.items():
        if not posts:
            continue
        actor = int(lay["acc_actor"][acc - 1])
        name = f"x:{acc}"
        handle = f"{lay['acc_platform'][acc - 1]}:bench_{lay['acc_platform'][acc - 1]}_{acc - 1:03d}"
        for kind, n in (("backlash", 8), ("block_reports", 1), ("crosspost", 6), ("shift", 2)):
            for j in range(n):
                pick = [posts[int(i)] for i in rng.integers(len(posts), size=min(len(posts), 12))]
                pick.sort(key=lambda p: p[1])
                ev = [p[0] for p in pick]
                data = _event_data(kind, rng, lay, handle, actor, pick)
                out.append((kind, f"{kind}:{name}:{j}", acc, actor, pick[0][1], pick[-1][1],
                            float(rng.uniform(1, 300)), f"{kind} of {handle} ({j})", orjson.dumps(data).decode(),
                            orjson.dumps(ev).decode(), now))
    return out


def _event_data(kind: str, rng, lay: dict, handle: str, actor: int, pick: list) -> dict:
    """The fields the story and the pages read for each event type (as the event finders write them)."""
    data: dict = {"account": handle, "posts": [{"post": {"id": p[0]}, "replies": 40} for p in pick[:3]]}
    if kind == "backlash":
        data.update(replies=int(rng.integers(50, 900)), hostile_replies=30, ratio_to_baseline=12.5,
                    baseline_replies_per_post=4.0, hostile_share=0.7, baseline_hostile_share=0.2,
                    reply_languages={"en": 30, "ru": 12}, themes=[{"theme": "virus"}, {"theme": "lies"}],
                    hostile_examples=[{"text": "generated hostile reply"}], unprecedented=False)
    elif kind == "block_reports":
        people = [{"reporter": f"x:user_x_{int(r)}", "post": {"id": pick[0][0]}, "text": "they blocked me"}
                  for r in rng.integers(0, lay["n_repliers"], size=15)]
        data.update(people=people, reporters=len(people), reports=len(people), with_screenshot=4)
    elif kind == "crosspost":
        data = {"origin": {"post": {"id": pick[0][0]}, "account": handle, "text": "generated origin post"},
                "copies": [{"post": {"id": p[0]}, "account": handle, "match": "exact", "lang": "en",
                            "lag_hours": 1.0}
                           for p in pick[1:4]], "accounts": [handle]}
    elif kind == "shift":
        data = {"actor": f"Bench actor {actor:03d}", "accounts": [handle],
                "changes": [{"feature": "topic:covid19_health", "before": 0.05, "after": 0.3, "change": 0.25}]}
    return data


class Loader:
    """Bulk writes for one backend: SQLite through sqlite3.executemany, PostgreSQL through COPY."""

    def __init__(self, url: str) -> None:
        self.url, self.pg = url, url.startswith("postgresql")
        if self.pg:
            import psycopg

            self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        else:
            self.conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=OFF")
            self.conn.execute("PRAGMA cache_size=-400000")

    def sql(self, q: str, args=()) -> list:
        cur = self.conn.execute(q, args)
        try:
            return cur.fetchall()
        except Exception:  # noqa: BLE001  (statements without rows)
            return []

    def begin(self) -> None:
        if not self.pg:
            self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.commit() if self.pg else self.conn.execute("COMMIT")

    def insert(self, table: str, cols: tuple, rows: list) -> None:
        if not rows:
            return
        quoted = ", ".join(f'"{c}"' for c in cols)
        if self.pg:
            with self.conn.cursor().copy(f"COPY {table} ({quoted}) FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
        else:
            self.conn.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(cols))})", rows)

    def secondary_indexes(self, tables: tuple) -> list[tuple[str, str]]:
        """(name, CREATE statement) of the plain indexes on `tables` (not keys or unique constraints)."""
        if self.pg:
            rows = self.sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                            "AND indexdef NOT LIKE 'CREATE UNIQUE%%'", (list(tables),))
        else:
            marks = ",".join("?" * len(tables))
            rows = self.sql(f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                            f"AND tbl_name IN ({marks})", tables)
        return [(n, s) for n, s in rows]


BULK_TABLES = ("posts", "annotations", "mentions", "post_labels", "events")


def target_url(scale: float, pg: str | None) -> str:
    if pg:
        return pg
    return f"sqlite:///{WORK / f'queries-s{scale:g}.db'}"


def progress_path(url: str) -> Path:
    tag = "pg" if url.startswith("postgresql") else Path(url.removeprefix("sqlite:///")).stem
    return WORK / f"{tag}.progress.json"


def build(scale: float, pg: str | None = None, log=print, chunks: int | None = None) -> str:
    """Build (or finish building) the workspace and return its URL; cached until deleted.

    `chunks` stops after that many chunks of 20,000 posts (and their replies), the earliest in time.
    """
    WORK.mkdir(parents=True, exist_ok=True)
    url = target_url(scale, pg)
    prog_file = progress_path(url)
    prog = json.loads(prog_file.read_text()) if prog_file.exists() else {}
    if prog.get("scale") not in (None, scale):
        raise SystemExit(f"{url} holds scale {prog['scale']}; delete it (and {prog_file}) to rebuild")
    if prog.get("done"):
        return url
    from envoywatch.store import open_store

    if not prog:
        _reset(url)
        open_store(url).close()  # the project's migrations create the schema
    lay, vocab, ld = layout(scale), vocabulary(), Loader(url)
    now = "2026-11-29 00:00:00.000000" + ("+00" if ld.pg else "")
    prog = _load_static(ld, lay, prog, now, log)
    t0 = time.perf_counter()
    for c in range(prog.get("chunks", 0), min(lay["n_chunks"], chunks or lay["n_chunks"])):
        _load_chunk(ld, lay, vocab, c, now)
        prog["chunks"] = c + 1
        prog_file.write_text(json.dumps({**prog, "scale": scale}))
        log(f"chunk {c + 1}/{lay['n_chunks']} ({time.perf_counter() - t0:.0f} s)")
    if chunks and prog.get("chunks", 0) < lay["n_chunks"]:  # posts after the last chunk are not there
        ld.begin()
        ld.sql(f"DELETE FROM posts WHERE id >= {1 + prog['chunks'] * CHUNK * (1 + REPLIES_PER_POST)}")
        ld.commit()
    _finish(ld, lay, prog, now, log)
    prog["done"] = True
    prog_file.write_text(json.dumps({**prog, "scale": scale}))
    return url


def _reset(url: str) -> None:
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as c:
            c.execute("DROP SCHEMA public CASCADE")
            c.execute("CREATE SCHEMA public")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def _load_static(ld: Loader, lay: dict, prog: dict, now: str, log) -> dict:
    """Actors and accounts, and the secondary indexes dropped for the bulk load (kept to rebuild later)."""
    if "indexes" in prog:
        return prog
    actors, accs = actor_rows(lay, now)
    ld.begin()
    ld.insert("actors", ("id", "name", "role", "sending_country", "host_country", "created_at"), actors)
    ld.insert("accounts", ("id", "platform", "handle", "platform_id", "display_name", "actor_id", "watched",
                           "url", "created_at"), accs)
    idx = ld.secondary_indexes(BULK_TABLES)
    for name, _ in idx:
        ld.sql(f'DROP INDEX "{name}"')
    if not ld.pg:
        ld.sql("DROP TRIGGER IF EXISTS posts_fts_ad")
        ld.sql("DROP TRIGGER IF EXISTS posts_fts_au")
    ld.commit()
    log(f"{len(accs)} accounts; dropped {len(idx)} indexes for the load")
    return {**prog, "indexes": idx}


def _load_chunk(ld: Loader, lay: dict, vocab, c: int, now: str) -> None:
    rows = chunk_rows(lay, vocab, c, ld.pg, now)
    first = 1 + c * CHUNK * (1 + REPLIES_PER_POST)
    ld.begin()
    for table, col in (("story_countries", "post_id"), ("story_posts", "post_id"), ("annotations", "post_id"),
                       ("mentions", "post_id"), ("post_labels", "post_id"),
                       ("posts", "id")):  # a chunk committed before its progress was saved
        ld.sql(f"DELETE FROM {table} WHERE {col} >= {first}")
    ld.insert("posts", POST_COLS, rows["posts"])
    ld.insert("annotations", ANN_COLS, rows["annotations"])
    ld.insert("mentions", MEN_COLS, rows["mentions"])
    ld.insert("post_labels", LAB_COLS, rows["post_labels"])
    ld.commit()


def _finish(ld: Loader, lay: dict, prog: dict, now: str, log) -> None:
    """Rebuild the dropped indexes, add the events, build the full-text index, gather statistics."""
    from envoywatch.store import fts

    t0 = time.perf_counter()
    for name, ddl in prog["indexes"]:
        ld.sql(ddl.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
        ld.commit() if ld.pg else None
        log(f"index {name} ({time.perf_counter() - t0:.0f} s)")
    load_events(ld, lay, now)
    if ld.pg:
        ld.conn.autocommit = True
        ld.sql("VACUUM ANALYZE")
    else:
        ld.sql(fts.SYNC_SQLITE.text)  # the posts not yet indexed (all of them, unless a run was resumed)
        ld.sql("CREATE TRIGGER IF NOT EXISTS posts_fts_ad AFTER DELETE ON posts BEGIN "
               "INSERT INTO posts_fts(posts_fts, rowid, text) VALUES('delete', old.id, old.text); END")
        ld.sql("CREATE TRIGGER IF NOT EXISTS posts_fts_au AFTER UPDATE OF text ON posts BEGIN "
               "INSERT INTO posts_fts(posts_fts, rowid, text) VALUES('delete', old.id, old.text); "
               "INSERT INTO posts_fts(rowid, text) VALUES (new.id, new.text); END")
        ld.sql("ANALYZE")
    log(f"indexes, events, full text and statistics in {time.perf_counter() - t0:.0f} s")
    story_sums(ld.url, log)


def story_sums(url: str, log) -> None:
    """What the story and the actor page sum (per post, country, account-week, parent account), counted
    once from the loaded posts and annotations, as `analyze` keeps them."""
    from envoywatch.store import aggregates, open_store, page_sums, replies

    t0 = time.perf_counter()
    store = open_store(url)
    with store.write() as conn:
        aggregates.backfill(conn)
        replies.backfill(conn)
        page_sums.backfill(conn)
    store.close()
    log(f"story, reply and page sums in {time.perf_counter() - t0:.0f} s")


def load_events(ld: Loader, lay: dict, now: str) -> None:
    """(Re)write the events: each account's evidence comes from its latest 400 posts."""
    by_acc: dict[int, list] = {}
    for acc in range(1, N_WATCHED + 1):
        q = (f"SELECT id, created_at FROM posts WHERE account_id = {acc} AND kind != 'reply' "
             "ORDER BY created_at DESC LIMIT 400")
        by_acc[acc] = [(i, str(ts)) for i, ts in ld.sql(q)]
    ld.begin()
    ld.sql("DELETE FROM event_accounts")
    ld.sql("DELETE FROM events")
    ld.insert("events", ("type", "key", "account_id", "actor_id", "start", "end", "score", "summary", "data",
                         "evidence", "created_at"), event_rows(by_acc, lay, now))
    # the accounts each event concerns, as events.base.link_accounts lists them (the generated events
    # name only their own account)
    ld.sql("INSERT INTO event_accounts (account_id, event_id) SELECT account_id, id FROM events "
           "WHERE account_id IS NOT NULL")
    ld.commit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M posts and 5M replies")
    ap.add_argument("--pg", help="PostgreSQL URL (its public schema is replaced); default: SQLite under "
                                 f"{WORK}")
    ap.add_argument("--events", action="store_true", help="only rewrite the events of a built workspace")
    ap.add_argument("--chunks", type=int, help="stop after this many chunks of 20,000 posts and their replies")
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.events:
        ld = Loader(target_url(args.scale, args.pg))
        load_events(ld, layout(args.scale), "2026-11-29 00:00:00.000000" + ("+00" if ld.pg else ""))
        return
    url = build(args.scale, args.pg, log=lambda m: print(m, file=sys.stderr, flush=True), chunks=args.chunks)
    print(json.dumps({"url": url, "scale": args.scale, "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
