"""Speed of live collection (Bluesky collector) against importing the same pages from a file.

Workload: N generated Bluesky posts in getAuthorFeed pages of 50, every tenth with a reply
thread of 3 replies, served from the loopback replay server. Measures, in the same run:
`collect` (HTTP + mapping + one transaction per page with its cursor), `ingest` of the same
responses saved as JSON Lines (the importer path, no HTTP), and fetching the pages alone
(the HTTP floor). Writes benchmarks/results/collect.json.
Run: `python benchmarks/bench_collect.py [N]`.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "tests"))
from _common import WORDS, WORK, best_of, save  # noqa: E402
from replay_server import ReplayServer  # noqa: E402

from envoywatch.accounts import AccountEntry, upsert  # noqa: E402
from envoywatch.collect.base import Http, Politeness  # noqa: E402
from envoywatch.collect.runner import RunOptions, run_once  # noqa: E402
from envoywatch.ingest import ingest  # noqa: E402
from envoywatch.store import open_store  # noqa: E402

DID = "did:plc:benchbenchbenchbenchbenc"
HANDLE = "bench-embassy.bsky.social"
PAGE = 50


def view(did: str, handle: str, i: int, replies: int = 0, parent: str | None = None) -> dict:
    words = " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(18))
    uri = f"at://{did}/app.bsky.feed.post/3l{i:011d}"
    record = {"$type": "app.bsky.feed.post", "text": words,
              "createdAt": f"2026-{1 + (i // 2000) % 12:02d}-01T00:00:00.000Z", "langs": ["en"]}
    if parent:
        record["reply"] = {"root": {"uri": parent, "cid": "x"}, "parent": {"uri": parent, "cid": "x"}}
    return {"uri": uri, "cid": f"cid{i}", "author": {"did": did, "handle": handle},
            "record": record, "replyCount": replies, "indexedAt": f"2026-01-01T00:00:00.{999999 - i:06d}Z"}


def build(n: int, root: Path) -> tuple[Path, int]:
    """Replay fixtures for n posts, and the same responses as one JSONL file for ingest."""
    site = root / "bluesky"
    site.mkdir(parents=True)
    routes, lines, total = {}, [], 0
    base = "/xrpc/app.bsky.feed.getAuthorFeed?actor=" + DID + "&limit=50"
    for start in range(0, n, PAGE):
        feed = [{"post": view(DID, HANDLE, i, replies=3 if i % 10 == 0 else 0)}
                for i in range(start, min(n, start + PAGE))]
        body = {"feed": feed, **({"cursor": f"c{start + PAGE}"} if start + PAGE < n else {})}
        name = f"feed{start}.json"
        (site / name).write_text(json.dumps(body))
        routes[base + (f"&cursor=c{start}" if start else "")] = {"file": name}
        lines.append(body)
        total += len(feed)
        for item in feed:
            if item["post"]["replyCount"]:
                uri = item["post"]["uri"]
                replies = [{"post": view(f"did:plc:user{j}", f"user{j}.bsky.social", 10**6 + total * 3 + j,
                                         parent=uri), "replies": []} for j in range(3)]
                thread = {"thread": {"post": item["post"], "replies": replies}}
                tname = f"thread{total}_{uri[-6:]}.json"
                (site / tname).write_text(json.dumps(thread))
                routes[f"/xrpc/app.bsky.feed.getPostThread?depth=10&parentHeight=0&uri={uri}"] = {"file": tname}
                lines.append(thread)
                total += 3
    routes[f"/xrpc/app.bsky.actor.getProfile?actor={HANDLE}"] = {"file": "profile.json"}
    (site / "profile.json").write_text(json.dumps({"did": DID, "handle": HANDLE}))
    routes["/xrpc/com.atproto.repo.listRecords?collection=app.bsky.graph.block&limit=100"
           f"&repo={DID}&reverse=true"] = {"body": '{"records": []}'}
    (site / "routes.json").write_text(json.dumps(routes))
    jsonl = root / "responses.jsonl"
    jsonl.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return jsonl, total


def fresh_store(path: Path):
    path.unlink(missing_ok=True)
    store = open_store(path)
    with store.write() as conn:
        upsert(conn, [AccountEntry("Bench embassy", "embassy", "CN", "KZ", "bluesky", HANDLE)])
    return store


def main(n: int = 5000) -> None:
    work = WORK / "collect"
    shutil.rmtree(work, ignore_errors=True)
    jsonl, total = build(n, work / "replay")
    seconds = {}
    with ReplayServer(root=work / "replay") as server:
        options = RunOptions(base_urls={"*": server.url}, max_pages=10**6,
                             politeness=Politeness(min_interval=0))

        def collect_run() -> None:
            store = fresh_store(work / "collect.db")
            summary = run_once(store, options, http=Http(options.politeness))
            assert summary.accounts[0].status == "ok", summary.as_dict()
            store.close()

        def ingest_run() -> None:
            store = fresh_store(work / "ingest.db")
            ingest(store, [jsonl], "bluesky", {}, None)
            store.close()

        def fetch_only() -> None:
            with httpx.Client() as client:
                for key in list(server.routes):
                    client.get(server.url + key)

        seconds["envoywatch_collect"] = best_of(collect_run, 2)
        seconds["envoywatch_ingest_same_responses"] = best_of(ingest_run, 2)
        seconds["http_fetch_only"] = best_of(fetch_only, 2)
    per_s = {k: total / v for k, v in seconds.items()}
    save("collect", {
        "workload": f"{n} generated Bluesky posts in feed pages of {PAGE}, every tenth with a 3-reply "
                    f"thread ({total} posts in all), replay server on 127.0.0.1, --delay 0",
        "seconds": seconds, "posts_per_second": per_s,
        "ratios": {"collect_vs_ingest": per_s["envoywatch_collect"] / per_s["envoywatch_ingest_same_responses"],
                   "collect_vs_http_floor": per_s["envoywatch_collect"] / per_s["http_fetch_only"]},
        "notes": "collect commits one transaction per page with its cursor (exact resume); ingest "
                 "batches 1,000 records. Real collection is bounded by --delay (1 request/s/host), "
                 "not by this.",
    })


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
