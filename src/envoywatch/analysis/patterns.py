"""Fast matching of many regex stems: a prefix trie over their literal starts, on lower-cased text.

Python's `re` tries every branch of an alternation at every position, so hundreds of cue
stems cost milliseconds per post. Sharing literal prefixes in a trie, and matching lower-cased
text without re.IGNORECASE, lets the engine drop a position after one or two characters.
"""

from __future__ import annotations

import re
from typing import Any

_META = set("\\[](){}?*+|.^$")
_QUANT = set("?*+{")
_HAN = re.compile(r"[\u3400-\u9fff]")


def lower_keep_len(text: str) -> str:
    """Lower-cased text with the same length, so match offsets stay valid on the original."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _split(pattern: str) -> tuple[str, str]:
    """(literal prefix, regex rest) of a pattern; the prefix never ends under a quantifier."""
    if _top_level_alternation(pattern):
        return "", pattern
    i = 0
    while i < len(pattern) and pattern[i] not in _META:
        i += 1
    if i < len(pattern) and pattern[i] in _QUANT and i > 0:
        i -= 1
    return pattern[:i], pattern[i:]


def _top_level_alternation(p: str) -> bool:
    return len(_top_split(p)) > 1


def stem_alternation(patterns: list[str]) -> str:
    """One regex matching any of `patterns` (lower-case regex stems), shaped as a prefix trie."""
    trie: dict[str, Any] = {}
    loose: list[str] = []
    for p in dict.fromkeys(x.lower() for x in patterns):
        prefix, rest = _split(p)
        if not prefix:
            loose.append(p)
            continue
        node = trie
        for ch in prefix:
            node = node.setdefault(ch, {})
        node.setdefault("", []).append(rest)
    parts = [_guard({k for k in trie if k}) + _node(trie)] if trie else []
    parts += [_guard(first_chars(p)) + f"(?:{p})" for p in loose]
    return "|".join(p for p in parts if p) or "(?!x)x"


def _guard(chars: set[str] | None) -> str:
    """A one-character lookahead that lets the engine skip positions no branch can start at."""
    if not chars:
        return ""
    return "(?=[" + "".join(re.escape(c) for c in sorted(chars)) + "])"


def first_chars(pattern: str) -> set[str] | None:
    """Characters a (lower-case) pattern can start with, or None when that is not simple to tell."""
    p = pattern
    while p.startswith(("(?<!", "(?<=")):
        end = _group_end(p, 0)
        if end < 0:
            return None
        p = p[end + 1 :]
    if not p:
        return None
    if p[0] == "(":
        end = _group_end(p, 0)
        if end < 0 or (end + 1 < len(p) and p[end + 1] in _QUANT):
            return None
        inner = p[3:end] if p.startswith("(?:") else p[1:end]
        out: set[str] = set()
        for alt in _top_split(inner):
            sub = first_chars(alt)
            if sub is None:
                return None
            out |= sub
        return out
    if p[0] in _META or (len(p) > 1 and p[1] in _QUANT):
        return None
    return {p[0]}


def _group_end(p: str, start: int) -> int:
    depth, esc, cls = 0, False, False
    for i in range(start, len(p)):
        c = p[i]
        if esc:
            esc = False
        elif c == "\\":
            esc = True
        elif cls:
            cls = c != "]"
        elif c == "[":
            cls = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _top_split(p: str) -> list[str]:
    parts, depth, esc, cls, cur = [], 0, False, False, []
    for c in p:
        if esc:
            esc = False
        elif c == "\\":
            esc = True
        elif cls:
            cls = c != "]"
        elif c == "[":
            cls = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    parts.append("".join(cur))
    return parts


def guarded(patterns: list[str]) -> str:
    """Alternation of arbitrary (lower-case) patterns, each behind its first-character guard."""
    return "|".join(_guard(first_chars(p)) + f"(?:{p})" for p in patterns) or "(?!x)x"


def _node(node: dict[str, Any]) -> str:
    alts = [re.escape(ch) + _node(child) for ch, child in sorted(node.items()) if ch]
    rests = node.get("", [])
    ends = [f"(?:{r})" for r in rests if r]
    empty = "" in rests
    branches = alts + ends
    if not branches:
        return ""
    body = "(?:" + "|".join(branches) + ")" if len(branches) > 1 or len(branches[0]) > 1 else branches[0]
    return body + "?" if empty else body


def cue_regex(patterns: list[str]) -> str:
    """Stems as one alternation: Latin/Cyrillic ones start at a word boundary, Chinese anywhere."""
    han = [p for p in patterns if _HAN.search(p)]
    words = [p for p in patterns if not _HAN.search(p)]
    parts = []
    if words:
        parts.append(r"(?<!\w)(?:" + stem_alternation(words) + ")")
    if han:
        parts.append(stem_alternation(han))
    return "|".join(parts) or "(?!x)x"


def grouped_cues(groups: dict[str | None, list[str]], extra: list[str] = ()) -> str:
    """Several stem lists as one regex: a named group per list (Han lists get an `h` prefix).

    All word stems share one word-start check and one first-character guard, so a position
    inside a word or on a character no stem starts with is dropped after one or two tests.
    """
    word_alts, han_alts, word_first, han_first = [], [], set(), set()
    for name, pats in groups.items():
        han = [p.lower() for p in pats if _HAN.search(p)]
        words = [p.lower() for p in pats if not _HAN.search(p)]
        for bucket, alts, first, prefix in ((words, word_alts, word_first, ""), (han, han_alts, han_first, "h")):
            if not bucket:
                continue
            body = stem_alternation(bucket)
            alts.append(f"(?P<{prefix}{name}>{body})" if name else f"(?:{body})")
            for p in bucket:
                fc = first_chars(p)
                first |= fc if fc else {"\x00"}
    parts = []
    if word_alts:
        guard = "" if "\x00" in word_first else _guard(word_first)
        parts.append(guard + r"(?<!\w)(?:" + "|".join(word_alts) + ")")
    if han_alts:
        guard = "" if "\x00" in han_first else _guard(han_first)
        parts.append(guard + "(?:" + "|".join(han_alts) + ")")
    parts += [_guard(first_chars(p)) + f"(?:{p})" for p in extra]
    return "|".join(parts) or "(?!x)x"
