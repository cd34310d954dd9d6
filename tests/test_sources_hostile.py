"""Hostile input for every importer: broken lines, bad encodings, NUL bytes, huge fields, fuzzing."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envoywatch.domain import MAX_TEXT, Parsed, Reject
from envoywatch.sources import SOURCES, load_builtins
from envoywatch.sources.base import Sample
from envoywatch.sources.generic import MappingError

load_builtins()
FIXTURES = Path(__file__).parent / "fixtures" / "formats"
FORMAT_FILES = {
    "twarc2": "twarc2_page.jsonl",
    "x_archive": "x_archive/tweets.js",
    "crowdtangle": "crowdtangle_facebook.csv",
    "telegram": "telegram_group.json",
    "bluesky": "bluesky_author_feed.json",
    "mastodon": "mastodon_statuses.json",
    "zeeschuimer": "zeeschuimer.ndjson",
    "dipromats": "iberlef_tweets_sample.json",
    "generic": "generic.csv",
}
OPTIONS = {
    "x_archive": {"account": "owner"},
    "generic": {"map": "text=message,id=post_id,author=user,platform=x,created_at=date"},
}


def run(fmt: str, data: bytes, name: str = "input") -> list[Parsed | Reject]:
    """Write bytes to a file and read it fully with one importer; only MappingError may escape."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        source = SOURCES.get(fmt)()
        assert 0.0 <= source.detect(Sample(path, data[:65536])) <= 1.0
        try:
            items = list(source.read(path, dict(OPTIONS.get(fmt, {}))))
        except MappingError:
            assert fmt == "generic"
            return []
    for item in items:
        assert isinstance(item, (Parsed, Reject))
        assert item.where.line is not None
        if isinstance(item, Reject):
            assert item.reason and len(item.raw) <= 2000
            orjson.dumps({"raw": item.raw, "reason": item.reason})  # the rejects file can hold it
        else:
            for post in item.posts:
                orjson.dumps(post.raw, default=str, option=orjson.OPT_NON_STR_KEYS)  # storable
                assert isinstance(post.text, str) and len(post.text) <= MAX_TEXT
                assert "\x00" not in post.text and post.platform_id
    return items


def fixture_bytes(fmt: str) -> bytes:
    return (FIXTURES / FORMAT_FILES[fmt]).read_bytes()


# --- targeted hostile cases ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["twarc2", "zeeschuimer"])
def test_truncated_line_is_rejected_and_reading_goes_on(fmt: str) -> None:
    line = fixture_bytes(fmt).splitlines()[0]
    data = line + b"\n" + line[: len(line) // 2] + b"\n" + line + b"\n"
    items = run(fmt, data)
    assert [type(i).__name__ for i in items] == ["Parsed", "Reject", "Parsed"]
    assert items[1].where.line == 2 and items[1].where.offset == len(line) + 1
    assert "JSON" in items[1].reason


def test_latin1_and_nul_bytes_in_a_utf8_jsonl_line_are_replaced_and_noted() -> None:
    record = json.loads(fixture_bytes("twarc2").splitlines()[0])
    record["data"][0]["text"] = "PLACEHOLDER"
    line = json.dumps(record, ensure_ascii=False).encode()
    data = line.replace(b"PLACEHOLDER", b"caf\xe9 \xcf\xf0\xe8\xe2\xe5\xf2 with\x00nul")
    items = run("twarc2", data)
    post = items[0].posts[0]
    assert "Привет with" in post.text and "\x00" not in post.text  # a CP1251 line, read as such
    assert "note: not UTF-8; decoded as CP1251" in post.unmapped
    mixed = run("twarc2", line.replace(b"PLACEHOLDER", "Сәлем caf".encode() + b"\xe9"))[0].posts[0]
    assert mixed.text.startswith("Сәлем caf\ufffd")  # valid UTF-8 kept, the stray byte replaced
    assert any(u.startswith("note: invalid bytes replaced") for u in mixed.unmapped)


def test_a_cp1251_csv_is_read_as_cp1251_and_noted() -> None:
    data = fixture_bytes("crowdtangle").decode("utf-8").encode("cp1251", "replace")
    posts = [p for i in run("crowdtangle", data) if isinstance(i, Parsed) for p in i.posts]
    assert posts and posts[0].text.startswith("Некая страна")
    assert "note: not UTF-8; decoded as CP1251" in posts[0].unmapped


def test_cp1251_bytes_inside_a_streamed_json_array_do_not_stop_the_file() -> None:
    data = fixture_bytes("telegram").replace("меня".encode(), "меня".encode("cp1251"))
    items = run("telegram", data)
    assert len(items) == 3 and all(isinstance(i, Parsed) for i in items)
    assert "\ufffd" in items[1].posts[0].text


def test_json_array_truncated_mid_file_keeps_earlier_records_and_reports_once() -> None:
    data = fixture_bytes("mastodon")
    cut = data.index(b'"id": "111000000000000003"')
    items = run("mastodon", data[:cut])
    assert [type(i).__name__ for i in items] == ["Parsed", "Parsed", "Reject"]
    assert "truncated" in items[-1].reason and items[-1].where.line == 3
    assert items[-1].raw.startswith("{") and items[-1].where.offset == data.rindex(b"{", 0, cut)


def test_a_malformed_record_inside_a_json_array_is_rejected_alone() -> None:
    records = json.loads(fixture_bytes("dipromats"))
    good = json.dumps(records[0]).encode()
    data = b"[" + good + b', {"tweet_id": 1, "text": }, ' + good + b"]"
    items = run("dipromats", data)
    assert [type(i).__name__ for i in items] == ["Parsed", "Reject", "Parsed"]
    assert items[1].where.line == 2 and items[1].raw.startswith('{"tweet_id"')


def test_duplicate_ids_are_all_yielded_for_the_store_to_count() -> None:
    line = fixture_bytes("zeeschuimer").splitlines()[0]
    items = run("zeeschuimer", b"\n".join([line, line, line]))
    assert [i.posts[0].platform_id for i in items] == ["1600000000000000020"] * 3


@pytest.mark.parametrize("fmt", ["dipromats", "telegram", "twarc2"])
def test_a_10_mb_text_is_cut_at_max_text_and_noted(fmt: str) -> None:
    huge = "ж" * 10_000_000
    if fmt == "dipromats":
        records = json.loads(fixture_bytes(fmt))
        records[0]["text"] = huge
        data = json.dumps(records).encode()
    elif fmt == "telegram":
        export = json.loads(fixture_bytes(fmt))
        export["messages"][0]["text"] = huge
        data = json.dumps(export, ensure_ascii=False).encode()
    else:
        page = json.loads(fixture_bytes(fmt).splitlines()[0])
        page["data"][0]["text"] = huge
        data = json.dumps(page).encode()
    post = run(fmt, data)[0].posts[0]
    assert len(post.text) == MAX_TEXT
    assert any("truncated from 10000000" in u for u in post.unmapped)


def test_csv_with_nul_latin1_and_a_runaway_quote() -> None:
    lines = fixture_bytes("crowdtangle").split(b"\n")
    header, row = lines[0], lines[1:4]
    body = b"\n".join(row).replace("Некая".encode(), b"N\x00e\xe9")
    items = run("crowdtangle", header + b"\n" + body + b"\n" + b'x,"never closed\n' * 3)
    assert isinstance(items[0], Parsed) and "\x00" not in items[0].posts[0].text
    assert any(u.startswith("note: invalid bytes") for u in items[0].posts[0].unmapped)


def test_html_and_script_in_text_is_kept_as_text() -> None:
    record = json.loads(fixture_bytes("zeeschuimer").splitlines()[0])
    record["data"]["legacy"]["full_text"] = '<img src=x onerror="alert(1)"><script>evil()</script>'
    post = run("zeeschuimer", json.dumps(record).encode())[0].posts[0]
    assert post.text == '<img src=x onerror="alert(1)"><script>evil()</script>'


def test_numbering_is_deterministic_so_resume_can_skip_n() -> None:
    for fmt in FORMAT_FILES:
        data = fixture_bytes(fmt)
        first = [(type(i).__name__, i.where.line) for i in run(fmt, data)]
        again = [(type(i).__name__, i.where.line) for i in run(fmt, data)]
        assert first == again and first


def test_empty_and_whitespace_files_yield_nothing_or_rejects() -> None:
    for fmt in FORMAT_FILES:
        for data in (b"", b"\n\n  \n", b"\xef\xbb\xbf"):
            assert all(isinstance(i, Reject) for i in run(fmt, data))


# --- property-based: nothing a file contains makes an importer raise -------------------------


def mutate(data: bytes, cut: int, insert_at: int, junk: bytes) -> bytes:
    """Truncate a real fixture and splice junk bytes into it."""
    cut = cut % (len(data) + 1)
    body = data[:cut]
    at = insert_at % (len(body) + 1)
    return body[:at] + junk + body[at:]


JUNK = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"\x00", b"\xff\xfe", b"\xe9", b'"', b"\n", b"{", b"]", b"\\u0000", b"\\ud800",
                     b",", b"<script>", b"\r\n", b"\xef\xbb\xbf", b"[" * 200]),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "text", "data", "includes", "author", "user", "messages", "feed",
                         "post", "record", "uri", "account", "content", "tweet", "legacy",
                         "source_platform", "created_at", "reblog", "thread", "replies", "value"])
        | st.text(max_size=8), children, max_size=6),
    max_leaves=20,
)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("fmt", sorted(FORMAT_FILES))
@FUZZ
@given(cut=st.integers(min_value=0), insert_at=st.integers(min_value=0), junk=JUNK)
def test_mutated_fixtures_never_raise(fmt: str, cut: int, insert_at: int, junk: bytes) -> None:
    run(fmt, mutate(fixture_bytes(fmt), cut, insert_at, junk))


@pytest.mark.parametrize("fmt", sorted(FORMAT_FILES))
@FUZZ
@given(value=JSON_VALUES, lines=st.booleans())
def test_arbitrary_json_never_raises(fmt: str, value: object, lines: bool) -> None:
    text = json.dumps(value)
    data = (text + "\n" + text + "\n") if lines else text
    if fmt == "telegram" and isinstance(value, dict):
        data = json.dumps({"name": "x", "type": "public_channel", "id": 1, "messages": [value, value]})
    if fmt == "x_archive":
        data = "window.YTD.tweets.part0 = " + json.dumps([value, {"tweet": value}])
    run(fmt, data.encode())


@pytest.mark.parametrize("fmt", sorted(FORMAT_FILES))
@FUZZ
@given(data=st.binary(max_size=512))
def test_random_bytes_never_raise(fmt: str, data: bytes) -> None:
    run(fmt, data)


# --- streaming: memory does not grow with the file ---------------------------------------------


def _peak_while_reading(fmt: str, path: Path) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        for _ in SOURCES.get(fmt)().read(path, {}):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["dipromats", "telegram", "twarc2"])
def test_peak_memory_stays_flat_when_the_file_grows(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from envoywatch.sources import _jsonstream

    monkeypatch.setattr(_jsonstream, "CHUNK", 1 << 16)  # both files many reads long
    base = fixture_bytes(fmt)
    peaks = []
    for copies in (200, 800):
        path = tmp_path / f"{copies}.json"
        if fmt == "twarc2":
            path.write_bytes((base.strip() + b"\n") * copies)
        elif fmt == "dipromats":
            item = json.dumps(json.loads(base)[0], indent=1)
            path.write_text("[" + ",\n".join([item] * (copies * 3)) + "]")
        else:
            export = json.loads(base)
            body = ",\n".join(json.dumps(m, ensure_ascii=False, indent=1) for m in export["messages"])
            header = json.dumps({k: v for k, v in export.items() if k != "messages"})[:-1]
            path.write_text(header + ', "messages": [' + ",\n".join([body] * copies) + "]}")
        peaks.append(_peak_while_reading(fmt, path))
    assert peaks[1] < peaks[0] * 1.3, peaks


def test_lone_surrogate_escapes_are_replaced_so_records_can_be_stored() -> None:
    line = fixture_bytes("zeeschuimer").splitlines()[0].replace(b"\\u041c", b"\\ud800")
    line = line.replace("Мені".encode(), b"\\ud800\\u0435\\u043d\\u0456")
    post = run("zeeschuimer", line)[0].posts[0]
    assert post.text.startswith("@EmbassyExample ?ені")
    items = json.loads(fixture_bytes("dipromats"))
    data = json.dumps(items[:1]).replace("Some", "\\ud83dSome", 1).encode()
    assert run("dipromats", data)[0].posts[0].text.startswith("?Some")
