"""Exact terms listed from a window's texts match what the prefix search matches there, by SQLite's own reading."""

from __future__ import annotations

import sqlite3
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envoywatch.prefix_terms import (
    _EDGES,
    MAX_TERMS,
    candidates,
    coarse,
    match_expression,
    prefix_terms,
    tokenizer_of,
)
from envoywatch.queries import fts_query, search_words

TOKENIZE = "'unicode61 remove_diacritics 2'"  # posts_fts's, as migration 0010 writes it


def _fts(texts: list[str]) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.execute(f"CREATE VIRTUAL TABLE docs USING fts5(t, tokenize={TOKENIZE})")
    con.executemany("INSERT INTO docs (rowid, t) VALUES (?, ?)", enumerate(texts, 1))
    return con


def _matches(con, expression: str) -> set[int]:
    return {r for (r,) in con.execute("SELECT rowid FROM docs WHERE docs MATCH ?", (expression,))}


def _unicode61_reading() -> dict[int, str | None]:
    """Each code point's reading by SQLite's unicode61: None for a separator, else what it folds to.

    Every BMP code point; beyond it, every assigned one outside the large ideograph blocks, and
    every 61st code point of those blocks and of the unassigned planes."""
    points = [c for c in range(1, sys.maxunicode + 1) if not 0xD800 <= c < 0xE000 and (
        c < 0x10000 or c % 61 == 0
        or (unicodedata.category(chr(c)) != "Cn" and unicodedata.category(chr(c)) != "Lo"))]
    con = sqlite3.connect(":memory:")
    con.execute(f"CREATE VIRTUAL TABLE probe USING fts5(t, tokenize={TOKENIZE})")
    con.execute("CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, 'instance')")
    con.executemany("INSERT INTO probe (rowid, t) VALUES (?, ?)", ((c, f"q{chr(c)}q") for c in points))
    terms: dict[int, list[str]] = {}
    for doc, term in con.execute("SELECT doc, term FROM probe_terms ORDER BY doc, offset"):
        terms.setdefault(doc, []).append(term)
    return {c: None if terms[c] == ["q", "q"] else terms[c][0][1:-1] for c in points}


@pytest.fixture(scope="module")
def reading():
    return _unicode61_reading()


def test_whitespace_and_stripped_edges_are_separators_for_sqlite(reading):
    """Splitting a text on whitespace and stripping ASCII punctuation never cuts inside an FTS5 token."""
    split_on = [c for c in reading if chr(c).isspace()] + [ord(ch) for ch in _EDGES]
    assert split_on and [hex(c) for c in split_on if reading[c] is not None] == []


def test_the_coarse_form_merges_whatever_sqlite_folds_together(reading):
    """coarse(c) == coarse(fold(c)) for every character FTS5 keeps, so a term's coarse form is in its text's."""
    differ = [(hex(c), chr(c), f) for c, f in reading.items() if f is not None and coarse(chr(c)) != coarse(f)]
    assert differ == []


def test_folded_characters_read_the_same_again(reading):
    """A listed term, fed back to FTS5 as a quoted string, is read as itself."""
    folds = sorted({f for f in reading.values() if f})
    con = _fts([f"q{f}q" for f in folds])
    con.execute("CREATE VIRTUAL TABLE doc_terms USING fts5vocab(docs, 'instance')")
    read = dict(con.execute("SELECT doc, group_concat(term, ' ') FROM doc_terms GROUP BY doc"))
    assert len(folds) > 1000 and [f for i, f in enumerate(folds, 1) if read.get(i) != f"q{f}q"] == []


def test_coarse_form_examples():
    assert coarse("Ёлка Café ǅemal") == "елка cafe dzemal"
    assert coarse("ҚЫТАЙ") == "қытаи"
    assert coarse("e\u0301cole") == coarse("école") == "ecole"


DOCS = ["Vaccines arrived; vaccine day!", "ВАКЦИНА и вакцинация", "Қазақстан — Қазақстанның жолы",
        "école, Ecole, ÉCOLES", "e\u0301cole de\u0301compose\u0301e", "https://x.com/vaccine?id=1 #VaccineDay",
        "中国外交 中国", "ﬁnance fiscal", "he said \"vaccine\" twice", "antivaccine groups", "straße STRASSE",
        "Ḱazakh ǅemal", "vaccine_rollout covid-19", "🙂vaccine🙂", "ёлка елка", "Ω ω ohm"]


@pytest.mark.parametrize("q", ["vaccine", "Vaccine", "вакцин", "ВАКЦИНА", "қазақ", "Қазақстан", "ecole", "école",
                               "ÉCOLE", "https", "VaccineDay", "中国", "fin", "ﬁn", "anti", "strasse", "straße",
                               "ǆ", "covid 19", "vaccine arrived", "елка", "ёлка", "ω", "zzz", "e", "vaccine_rollout"])
def test_listed_terms_match_what_the_prefixes_match(q):
    con = _fts(DOCS)
    groups = prefix_terms(TOKENIZE, search_words(q), DOCS)
    expected = _matches(con, fts_query(q))
    if groups is None:  # "_" is a separator for FTS5: it reads the word as two tokens
        assert q == "vaccine_rollout"
        return
    got = _matches(con, match_expression(groups)) if all(groups) else set()
    assert got == expected, (q, groups)


LETTERS = "aAeEéÉèoöÖøßẞıİiIjkKķĸʼ'’-_.,!?#@ёЁеЕйЙиқҚүҰұ中国\u0301\u0308\u00a0\u2009\u200b\u3000 \n\tﬁǅΩω🙂٣"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=LETTERS, max_size=30), min_size=1, max_size=8), st.data())
def test_any_texts_and_words_give_the_prefixes_matches(texts, data):
    """Random texts over characters that fold, decompose, join or split, and words cut from them."""
    source = data.draw(st.sampled_from(texts))
    start = data.draw(st.integers(0, len(source)))
    word = source[start:start + data.draw(st.integers(1, 6))]
    words = search_words(word)
    if not words:
        return
    con = _fts(texts)
    expected = _matches(con, fts_query(word))
    groups = prefix_terms(TOKENIZE, words, texts)
    if groups is None:
        return
    assert (_matches(con, match_expression(groups)) if all(groups) else set()) == expected


def test_too_many_terms_give_up_to_the_prefix():
    texts = [" ".join(f"a{i}" for i in range(MAX_TERMS + 1))]
    assert prefix_terms(TOKENIZE, ["a"], texts) is None
    assert prefix_terms(TOKENIZE, ["a1"], texts) == [sorted(f"a{i}" for i in range(MAX_TERMS + 1)
                                                          if str(i).startswith("1"))]


def test_candidates_need_every_word_in_the_text():
    assert candidates(["vaccine day", "vaccine only"], ["vacc", "day"]) == {"vaccine", "day"}
    assert candidates(["(Vaccines!)", None, ""], ["vaccine"]) == {"Vaccines"}


def test_tokenizer_is_read_from_the_index_definition():
    sql = ("CREATE VIRTUAL TABLE posts_fts USING fts5(text, content='posts', content_rowid='id', "
           "tokenize='unicode61 remove_diacritics 2', columnsize=0)")
    assert tokenizer_of(sql) == "'unicode61 remove_diacritics 2'"
    assert tokenizer_of("CREATE VIRTUAL TABLE t USING fts5(a)") is None
    assert tokenizer_of(None) is None
