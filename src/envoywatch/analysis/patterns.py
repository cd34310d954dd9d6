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


def literal_start(pattern: str) -> str:
    """The literal prefix `stem_alternation` files a (lower-case) stem under in its trie; "" for a
    stem it tries on its own at every position."""
    return _split(pattern)[0]


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


def grouped_cues(groups: dict[str | None, list[str]], extra: list[str] = (), with_han: bool = True) -> str:
    """Several stem lists as one regex: a named group per list (Han lists get an `h` prefix).

    All word stems share one word-start check and one first-character guard, so a position
    inside a word or on a character no stem starts with is dropped after one or two tests.
    `with_han=False` leaves the Han stems out (for texts without a Han character).
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
        parts.append(r"(?<!\w)" + guard + "(?:" + "|".join(word_alts) + ")")  # word start first: fails sooner
    if han_alts and with_han:
        guard = "" if "\x00" in han_first else _guard(han_first)
        parts.append(guard + "(?:" + "|".join(han_alts) + ")")
    parts += [_guard(first_chars(p)) + f"(?:{p})" for p in extra]
    return "|".join(parts) or "(?!x)x"


def han_stems_start_with_han(groups: dict[str | None, list[str]]) -> bool:
    """Whether every Han stem of these groups starts with a Han character: then a text with no
    Han character cannot match them, and `grouped_cues(..., with_han=False)` finds the same in it."""
    for pats in groups.values():
        for p in pats:
            if _HAN.search(p):
                first = first_chars(p.lower())
                if not first or not all(_HAN.fullmatch(c) for c in first):
                    return False
    return True


def with_first_char_guard(pattern: str, flags: int = 0) -> str:
    """The pattern behind a lookahead for the characters its matches can start with.

    Python's `re` tries every branch of an alternation at every position; with the guard, a
    position where no branch can start fails after one character-class test. The guard is read
    from the regex's own parse tree and compiled with the same flags, so the pattern matches
    exactly what it matched before. Patterns whose first character cannot be told (one that may
    match the empty string, say) come back unchanged.
    """
    import re._parser as sre_parse

    items = _first_items(list(sre_parse.parse(pattern, flags)), sre_parse)
    if not items:
        return pattern
    return "(?=[" + "".join(sorted(set(items))) + "])(?:" + pattern + ")"


def _first_items(seq: list, sp) -> list[str] | None:
    """Character-class items for the first character a parsed sequence consumes, or None."""
    for i, (op, av) in enumerate(seq):
        if op in (sp.AT, sp.ASSERT, sp.ASSERT_NOT):
            continue  # zero-width: the first character comes after it
        if op == sp.LITERAL:
            return [_class_char(av)]
        if op == sp.IN:
            return _class_items(av, sp)
        if op == sp.BRANCH:
            out: list[str] = []
            for alt in av[1]:
                sub = _first_items(list(alt), sp)
                if sub is None:
                    return None
                out += sub
            return out
        if op == sp.SUBPATTERN:
            return _first_items(list(av[3]), sp)
        if op in (sp.MAX_REPEAT, sp.MIN_REPEAT, sp.POSSESSIVE_REPEAT):
            sub = _first_items(list(av[2]), sp)
            if sub is None or av[0] >= 1:
                return sub
            rest = _first_items(seq[i + 1 :], sp)  # an optional item: or what follows it
            return None if rest is None else sub + rest
        return None
    return None


def _class_items(items: list, sp) -> list[str] | None:
    out = []
    for op, av in items:
        if op == sp.NEGATE:
            return None
        if op == sp.LITERAL:
            out.append(_class_char(av))
        elif op == sp.RANGE:
            out.append(_class_char(av[0]) + "-" + _class_char(av[1]))
        elif op == sp.CATEGORY and av in _CATEGORIES:
            out.append(_CATEGORIES[av])
        else:
            return None
    return out


def _class_char(code: int) -> str:
    return re.escape(chr(code)) if chr(code) not in "-]\\^" else "\\" + chr(code)


def _categories() -> dict:
    import re._constants as c

    return {c.CATEGORY_DIGIT: r"\d", c.CATEGORY_NOT_DIGIT: r"\D", c.CATEGORY_SPACE: r"\s",
            c.CATEGORY_NOT_SPACE: r"\S", c.CATEGORY_WORD: r"\w", c.CATEGORY_NOT_WORD: r"\W"}


_CATEGORIES = _categories()


def compile_guarded(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """re.compile of the pattern behind its first-character guard: same matches, fewer tests."""
    return re.compile(with_first_char_guard(pattern, flags), flags)
