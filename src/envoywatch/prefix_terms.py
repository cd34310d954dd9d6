"""The full-text terms a prefix search can match among a few texts, so SQLite can look them up exactly.

A search word is a prefix (`"vaccine"*` also finds "vaccines"). SQLite's FTS5 answers a prefix by
merging the match lists of every term that starts with it, over the whole workspace, before a
rowid bound can narrow them: for a word in a quarter of a million posts, about 0.1 s on every
search. The same search written as its exact terms (`"vaccine" OR "vaccines"`) reads only the
bounded part of each list. When a search looks among the newest posts only, the terms it can
match are in those posts' texts, so they can be listed from them:

1. Python proposes. Every whitespace-separated piece of a text whose coarse form (`coarse`: case
   folded, compatibility-decomposed, combining marks dropped) contains a search word's coarse form
   is a candidate. The coarse form merges at least the characters FTS5's unicode61 tokenizer
   merges, and whitespace always separates its tokens, so no matching term is ever left out; the
   tests check both facts against SQLite for every code point.
2. FTS5 decides. The candidates go through a scratch FTS5 table with the index's own tokenizer,
   and a term is kept only if it starts with the word's own token, as FTS5 reads it.

So the exact terms match the same posts among those texts as the prefix does, and nothing else.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from contextlib import closing

MAX_TERMS = 200  # more terms than this (a short prefix): the prefix search is the cheaper statement

# ASCII punctuation and symbols: separators for unicode61, so stripping them off a piece loses no term
_EDGES = "".join(chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum())


class _MarkDropper(dict):
    """`str.translate` table deleting combining marks (categories Mn, Mc, Me), learnt as characters appear."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.category(chr(code))[0] == "M" else code
        self[code] = value
        return value


_MARKS = _MarkDropper()


def coarse(text: str) -> str:
    """Case folded, compatibility-decomposed, without combining marks: «Ёлка» -> "елка", "Café" -> "cafe".

    Character by character, so a piece of a text has a piece of the text's coarse form."""
    if text.isascii():
        return text.lower()
    norm = unicodedata.normalize
    return norm("NFKD", norm("NFKD", text).casefold()).translate(_MARKS)


def candidates(texts, words: list[str]) -> set[str]:
    """The pieces of the texts holding every word that may hold a term one of the words begins."""
    keys = [coarse(w) for w in words]
    pieces: set[str] = set()
    for text in texts:  # a loop, not all(): about 1 us a text, and a window has thousands
        if text:
            folded = coarse(text)
            for k in keys:
                if k not in folded:
                    break
            else:
                pieces.update(text.split())
    found = {p.strip(_EDGES) for p in pieces if any(k in coarse(p) for k in keys)}
    found.discard("")
    return found


def tokenizer_of(create_sql: str) -> str | None:
    """The `tokenize=` argument of an FTS5 table's CREATE statement, quoted as written."""
    m = re.search(r"tokenize\s*=\s*('(?:[^']|'')*')", create_sql or "")
    return m.group(1) if m else None


def prefix_terms(tokenize: str, words: list[str], texts) -> list[list[str]] | None:
    """For each word, the terms of `texts` (as FTS5 with `tokenize` reads them) that start with it.

    None when a word is not a single FTS5 token (FTS5 would read it as a phrase) or the terms
    number more than MAX_TERMS; the caller then searches by prefix."""
    pieces = sorted(candidates(texts, words))
    rows = [(i, w) for i, w in enumerate(words, 1)] + [(len(words) + i, p) for i, p in enumerate(pieces, 1)]
    with closing(sqlite3.connect(":memory:")) as scratch:
        scratch.execute(f"CREATE VIRTUAL TABLE words USING fts5(t, tokenize={tokenize})")
        scratch.execute("CREATE VIRTUAL TABLE word_terms USING fts5vocab(words, 'instance')")
        scratch.executemany("INSERT INTO words (rowid, t) VALUES (?, ?)", rows)
        tokens = scratch.execute("SELECT doc, term FROM word_terms").fetchall()
    own: dict[int, list[str]] = {}
    seen: set[str] = set()
    for doc, term in tokens:
        if doc <= len(words):
            own.setdefault(doc, []).append(term)
        else:
            seen.add(term)
    out = []
    for i in range(1, len(words) + 1):
        if len(own.get(i, ())) != 1:
            return None
        out.append(sorted(t for t in seen if t.startswith(own[i][0])))
    return out if sum(map(len, out)) <= MAX_TERMS else None


def match_expression(groups: list[list[str]]) -> str:
    """An FTS5 query: every group present, each by any one of its exact terms."""
    def quoted(term: str) -> str:
        return '"' + term.replace('"', '""') + '"'
    return " AND ".join("(" + " OR ".join(map(quoted, g)) + ")" for g in groups)
