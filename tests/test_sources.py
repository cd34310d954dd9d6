"""Every importer on fixtures written from each format's public documentation, plus real X pages."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from envoywatch.domain import PLATFORMS, POST_KINDS, Parsed, Post, Reject
from envoywatch.sources import SOURCES, load_builtins
from envoywatch.sources.base import read_sample

load_builtins()
FIXTURES = Path(__file__).parent / "fixtures" / "formats"

EXPECTED_FORMAT = {
    "twarc2_page.jsonl": "twarc2",
    "twarc2_flat.jsonl": "twarc2",
    "x_archive/tweets.js": "x_archive",
    "crowdtangle_facebook.csv": "crowdtangle",
    "crowdtangle_instagram.csv": "crowdtangle",
    "meta_content_library.csv": "crowdtangle",
    "telegram_channel.json": "telegram",
    "telegram_group.json": "telegram",
    "bluesky_author_feed.json": "bluesky",
    "bluesky_thread.json": "bluesky",
    "bluesky_blocks.json": "bluesky",
    "mastodon_statuses.json": "mastodon",
    "mastodon_context.json": "mastodon",
    "zeeschuimer.ndjson": "zeeschuimer",
    "iberlef_tweets_sample.json": "dipromats",
}


def read_all(name: str, fmt: str | None = None, options: dict | None = None) -> list[Parsed | Reject]:
    path = FIXTURES / name
    return list(SOURCES.get(fmt or EXPECTED_FORMAT[name])().read(path, options or {}))


def posts_of(items: list[Parsed | Reject]) -> list[Post]:
    return [p for i in items if isinstance(i, Parsed) for p in i.posts]


def by_id(items: list[Parsed | Reject]) -> dict[str, Post]:
    return {p.platform_id: p for p in posts_of(items)}


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMAT))
def test_the_right_detector_wins_every_fixture(name: str) -> None:
    sample = read_sample(FIXTURES / name)
    scores = {cls.name: cls().detect(sample) for cls in SOURCES}
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    winner = max(scores, key=lambda n: scores[n])
    assert winner == EXPECTED_FORMAT[name], scores
    others = [s for n, s in scores.items() if n != winner]
    assert max(others) < scores[winner]


@pytest.mark.parametrize("name", ["generic.csv", "generic.jsonl", "x_archive/account.js"])
def test_files_of_no_known_format_are_not_claimed(name: str) -> None:
    sample = read_sample(FIXTURES / name)
    assert all(cls().detect(sample) == 0 for cls in SOURCES)


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMAT))
def test_every_post_satisfies_the_domain_contract(name: str) -> None:
    items = read_all(name, options={"account": "EmbassyExample"} if "archive" in name else None)
    assert items
    for n, item in enumerate(items, start=1):
        assert item.where.line is not None and item.where.source_file.endswith(Path(name).name)
        if isinstance(item, Reject):
            assert item.reason
            continue
        for post in item.posts:
            assert post.platform in PLATFORMS and post.kind in POST_KINDS
            assert post.platform_id and isinstance(post.text, str)
            assert post.author.handle or post.author.platform_id
            assert post.created_at is None or post.created_at.tzinfo == UTC
            assert post.raw is not None
            assert all(isinstance(u, str) for u in post.unmapped)
            assert all(isinstance(m, str) for m in post.mentions + post.hashtags)


def test_twarc2_page_maps_includes_replies_quotes_and_media() -> None:
    items = read_all("twarc2_page.jsonl")
    assert len(items) == 1
    posts = by_id(items)
    reply = posts["1600000000000000002"]
    assert reply.kind == "reply" and reply.in_reply_to == "1600000000000000001"
    assert reply.in_reply_to_handle == "EmbassyExample"
    assert reply.conversation_id == "1600000000000000001"
    assert reply.author.handle == "steppe_reader" and reply.author.platform_id == "3001"
    assert [(m.type, m.url) for m in reply.media] == [("photo", "https://pbs.twimg.com/media/Fexample1.jpg")]
    assert posts["1600000000000000003"].kind == "quote"
    assert posts["1600000000000000003"].quoted_id == "1600000000000000001"
    assert posts["1600000000000000003"].hashtags == ["diplomacy"]
    parent = posts["1600000000000000001"]  # from includes.tweets, with its author
    assert parent.author.handle == "EmbassyExample" and parent.metrics["reply_count"] == 310
    assert {a.handle for a in items[0].accounts} == {"steppe_reader", "policy_notes", "EmbassyExample"}


def test_twarc2_flattened_tweets_embed_author_and_referenced_tweets() -> None:
    posts = by_id(read_all("twarc2_flat.jsonl"))
    reply = posts["1600000000000000010"]
    assert reply.lang == "kk" and reply.in_reply_to_handle == "EmbassyExample"
    assert reply.media[0].type == "photo"
    assert posts["1600000000000000001"].author.handle == "EmbassyExample"
    repost = posts["1600000000000000011"]
    assert repost.kind == "repost" and repost.reposted_id == "1600000000000000001"


def test_twarc2_reads_real_pages(shared_data: Path) -> None:
    folder = shared_data / "formats" / "twitter-v2"
    files = sorted(folder.glob("*.jsonl"))
    assert files
    for path in files:
        sample = read_sample(path)
        scores = {cls.name: cls().detect(sample) for cls in SOURCES}
        assert max(scores, key=lambda n: scores[n]) == "twarc2"
        items = list(SOURCES.get("twarc2")().read(path, {}))
        assert items and all(isinstance(i, Parsed) for i in items)
    posts = by_id(list(SOURCES.get("twarc2")().read(folder / "two_tweets.jsonl", {})))
    assert posts["1394735776701816833"].kind == "repost"
    assert posts["1394735776701816833"].reposted_id == "1391677057810288641"
    assert posts["1391677057810288641"].author.handle == "bibaigna96"
    media = by_id(list(SOURCES.get("twarc2")().read(folder / "media_tweet.jsonl", {})))
    assert [m.type for m in media["1558553189766631429"].media] == ["video"]


def test_x_archive_owner_from_account_js_or_option(tmp_path: Path) -> None:
    posts = by_id(read_all("x_archive/tweets.js"))
    assert {p.author.handle for p in posts.values()} == {"EmbassyExample"}
    reply = posts["1240000000000000002"]
    assert reply.kind == "reply" and reply.in_reply_to == "1239999999999999999"
    assert reply.in_reply_to_handle == "a_reader" and reply.media[0].type == "photo"
    assert reply.created_at.isoformat() == "2020-03-19T07:30:00+00:00"
    assert posts["1240000000000000003"].kind == "repost"
    alone = tmp_path / "tweets.js"
    alone.write_bytes((FIXTURES / "x_archive" / "tweets.js").read_bytes())
    items = list(SOURCES.get("x_archive")().read(alone, {}))
    assert items and all(isinstance(i, Reject) and "account=" in i.reason for i in items)
    named = list(SOURCES.get("x_archive")().read(alone, {"account": "@other"}))
    assert {p.author.handle for p in posts_of(named)} == {"other"}


def test_crowdtangle_facebook_and_instagram() -> None:
    fb = posts_of(read_all("crowdtangle_facebook.csv"))
    assert [p.platform for p in fb] == ["facebook", "facebook"]
    assert fb[0].text.startswith("Некая страна") and "\n" in fb[0].text
    assert fb[0].created_at.isoformat() == "2023-03-01T08:10:00+00:00"  # EST is UTC-5
    assert fb[0].metrics["Total Interactions"] == 1204 and fb[0].author.platform_id == "100064000000001"
    assert "<script>" in fb[1].text  # kept as text, never interpreted
    ig = posts_of(read_all("crowdtangle_instagram.csv"))
    assert [p.platform_id for p in ig] == ["CpExAmPlE1", "CpExAmPlE2"]
    assert ig[0].author.handle == "embassy.example" and ig[1].media[0].type == "video"


def test_meta_content_library_csv() -> None:
    posts = posts_of(read_all("meta_content_library.csv"))
    assert [p.platform_id for p in posts] == ["894000000000001", "894000000000002"]
    assert posts[0].metrics["reaction_count"] == 140 and posts[1].lang == "kk"
    assert posts[0].author.handle == "embassy.example.kz"


def test_telegram_channel_text_entities_media_edits() -> None:
    items = read_all("telegram_channel.json", options={"account": "embassy_example"})
    assert len(items) == 3 and items[0].posts == []  # a service message yields no post
    post = items[1].posts[0]
    assert post.platform_id == "embassy_example/2" and post.url == "https://t.me/embassy_example/2"
    assert post.text.endswith("Факты говорят иное. #факты") and post.hashtags == ["факты"]
    assert post.edited_at is not None and post.metrics["reactions"]["👎"] == 25
    assert post.author.handle == "embassy_example" and post.media[0].type == "photo"
    assert items[2].posts[0].media[0].type == "video" and items[2].posts[0].media[0].url is None


def test_telegram_channel_name_case_matches_the_collector() -> None:
    from envoywatch.collect.telegram import post_path

    post = read_all("telegram_channel.json", options={"channel": "@Embassy_Example"})[1].posts[0]
    assert post.platform_id == post_path("https://t.me/Embassy_Example/2") == "embassy_example/2"


def test_telegram_discussion_group_replies() -> None:
    posts = by_id(read_all("telegram_group.json"))
    assert posts["1700000002/101"].in_reply_to == "1700000002/100"
    assert posts["1700000002/101"].mentions == ["embassy_example"]
    assert posts["1700000002/102"].kind == "reply" and posts["1700000002/102"].author.platform_id == "user5000002"


def test_bluesky_feed_reply_repost_quote() -> None:
    items = read_all("bluesky_author_feed.json")
    assert len(items) == 4
    posts = posts_of(items)
    reply = next(p for p in posts if p.platform_id.endswith("3kabc222"))
    assert reply.kind == "reply" and reply.in_reply_to.endswith("3kxyz999")
    assert reply.in_reply_to_handle == "reader.bsky.social" and reply.mentions == ["reader.bsky.social"]
    assert reply.conversation_id.endswith("3kabc111")
    repost = next(p for p in posts if p.kind == "repost")
    assert repost.author.handle == "embassy-example.bsky.social"
    assert repost.reposted_id.endswith("3kmin333")
    quote = next(p for p in posts if p.platform_id.endswith("3kabc444"))
    assert quote.kind == "quote" and quote.quoted_id.endswith("3kmin333")
    first = next(p for p in posts if p.platform_id.endswith("3kabc111") and p.media)
    assert first.hashtags == ["truth"] and first.media[0].type == "photo"


def test_bluesky_thread_nested_replies_and_placeholders() -> None:
    items = read_all("bluesky_thread.json")
    assert len(items) == 1
    posts = items[0].posts
    assert [p.platform_id.rsplit("/", 1)[-1] for p in posts] == ["3kabc111", "3kxyz999", "3kqqq444"]
    assert posts[2].in_reply_to == posts[1].platform_id
    assert posts[2].in_reply_to_handle == "reader.bsky.social" and posts[2].media[0].type == "photo"


def test_bluesky_block_records() -> None:
    items = read_all("bluesky_blocks.json")
    blocks = [b for i in items for b in i.blocks]
    assert [b.blocked.platform_id for b in blocks] == ["did:plc:reader222", "did:plc:other444"]
    assert {b.blocker.platform_id for b in blocks} == {"did:plc:embassyexample111"}
    assert blocks[0].uri.startswith("at://") and blocks[0].created_at is not None


def test_mastodon_html_to_text_reblog_and_reply() -> None:
    items = read_all("mastodon_statuses.json")
    posts = by_id(items)
    first = posts["111000000000000001"]
    assert first.text.startswith("A certain country speaks of freedom & order.\nIts own record")
    assert "example.org/statement" in first.text and "<" not in first.text
    assert first.author.handle == "embassy@mastodon.example" and first.edited_at is not None
    reply = posts["111000000000000002"]
    assert reply.in_reply_to == "111000000000000001" and reply.in_reply_to_handle == "embassy"
    assert "<script>alert(1)</script>" in reply.text  # escaped markup stays text
    assert len(items[2].posts) == 2 and items[2].posts[0].kind == "repost"
    assert items[2].posts[0].reposted_id == "111000000000000000"
    assert posts["111000000000000000"].lang == "zh"


def test_mastodon_context_numbers_ancestors_then_descendants() -> None:
    items = read_all("mastodon_context.json")
    assert [i.where.line for i in items] == [1, 2]
    assert items[1].posts[0].in_reply_to == "111000000000000001"


def test_zeeschuimer_x_instagram_telegram_and_unknown_platform() -> None:
    items = read_all("zeeschuimer.ndjson")
    assert [type(i).__name__ for i in items] == ["Parsed"] * 3 + ["Reject", "Parsed"]
    assert "tiktok.com" in items[3].reason
    reply = items[0].posts[0]
    assert reply.kind == "reply" and reply.author.handle == "karaganda_k" and reply.metrics["views"] == 230
    assert reply.created_at.isoformat() == "2023-03-02T13:00:00+00:00"
    repost, original = items[1].posts
    assert repost.kind == "repost" and repost.reposted_id == original.platform_id == "1600000000000000001"
    assert repost.author.handle == "echo2"
    insta = items[2].posts[0]
    assert insta.platform == "instagram" and insta.platform_id == "CpExAmPlE3"
    assert [m.type for m in insta.media] == ["photo", "video"]
    assert items[4].posts[0].platform_id == "embassy_example/55"


def test_dipromats_fixture_and_unlabelled_items() -> None:
    items = read_all("iberlef_tweets_sample.json")
    assert isinstance(items[2], Reject) and items[2].where.line == 3
    quote = items[1].posts[0]
    assert quote.kind == "quote" and quote.platform == "x" and quote.author.handle == "ambassador_example"
    assert "value" in quote.unmapped and quote.raw["value"] == ["1 appeal to commonality - flag waving"]


def test_dipromats_reads_the_real_corpus(shared_data: Path) -> None:
    path = shared_data / "dipromats2023" / "devtrain_t1_en.json"
    sample = read_sample(path)
    scores = {cls.name: cls().detect(sample) for cls in SOURCES}
    assert max(scores, key=lambda n: scores[n]) == "dipromats"
    items = list(SOURCES.get("dipromats")().read(path, {}))
    assert len(items) == 850 and all(isinstance(i, Parsed) for i in items)
    assert {p.kind for i in items for p in i.posts} <= set(POST_KINDS)


def test_generic_csv_and_jsonl_with_a_map() -> None:
    csv_map = {"map": "text=message,created_at=date,id=post_id,author=user,platform=network,in_reply_to=parent"}
    items = read_all("generic.csv", "generic", csv_map)
    posts = posts_of(items)
    assert [p.platform_id for p in posts] == ["9001", "9002", "9003"]
    assert posts[1].text == 'Who is "a certain country"? Say it.' and posts[1].kind == "reply"
    assert posts[2].created_at is None and any("created_at" in u for u in posts[2].unmapped)
    jsonl_map = {"map": "text=message,created_at=date,id=post_id,author=user.name,platform=platform,in_reply_to=parent"}
    posts = posts_of(read_all("generic.jsonl", "generic", jsonl_map))
    assert posts[1].author.handle == "reader" and posts[1].created_at.isoformat() == "2023-03-01T06:00:00+00:00"
    constant = {"map": {"text": "message", "id": "post_id", "author": "user", "platform": "telegram"}}
    assert {p.platform for p in posts_of(read_all("generic.csv", "generic", constant))} == {"telegram"}


def test_generic_names_missing_columns_and_found_ones() -> None:
    from envoywatch.sources.generic import MappingError

    bad = {"map": "text=body,id=post_id,author=user,platform=x"}
    with pytest.raises(MappingError, match="text=body.*columns found: post_id, date, user"):
        read_all("generic.csv", "generic", bad)
    with pytest.raises(MappingError, match="needs a column map"):
        read_all("generic.csv", "generic", {})
    with pytest.raises(MappingError, match="lacks id"):
        read_all("generic.csv", "generic", {"map": "text=message,author=user,platform=x"})
