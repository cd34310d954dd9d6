"""Veiled references ("a certain country", «одна страна», «бір ел», 某国) and who they mean.

Markers and clues live in data/countries/veiled.yaml. A reference resolves to the country whose
clues ("all its states", "left the European Union", nuclear wastewater in the sea) plus the
account's prior score highest, when that score is high enough and clearly ahead; otherwise the
reference stays unknown (code None) rather than a guess.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import yaml

from envoywatch.analysis.gazetteer import DATA_DIR, normalise
from envoywatch.analysis.patterns import grouped_cues, lower_keep_len, stem_alternation

PRIOR_WEIGHT = 0.8  # a prior share of 1.0 is worth less than one strong clue
RESOLVE_AT = 1.0
MARGIN = 0.5


@dataclass(slots=True)
class Marker:
    """A veiled reference's words in a text (not frozen: made per match, five times faster)."""

    start: int
    end: int
    surface: str
    strong: bool


@dataclass(frozen=True, slots=True)
class Clue:
    code: str
    weight: float
    label: str
    rx: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Resolution:
    code: str | None
    confidence: float
    clues: list[str]
    scores: dict[str, float]


# Nouns every marker contains; posts without any of them skip the marker patterns entirely.
_NOUNS = ["country", "countries", "nation", "state", "power", "government", "politician", "media", "outlet", "circles", "forces", "beacon", "champion", "defender", "bastion", "стран", "государств", "держав", "политик", "сил", "сми", "ел", "мемлекет", "саясаткер", "күш", "маяк", "защитник", "оплот", "шамшыра", "үлгі", "国", "政客", "势力", "媒体", "灯塔", "卫士", "捍卫者"]


@lru_cache(maxsize=1)
def _nouns_rx() -> re.Pattern[str]:
    """The marker nouns as one trie-shaped regex: one search instead of 37 substring tests."""
    from envoywatch.analysis.gazetteer import trie_pattern

    return re.compile(trie_pattern(_NOUNS))


@lru_cache(maxsize=1)
def _data() -> tuple[re.Pattern[str], list[Clue], re.Pattern[str], re.Pattern[str]]:
    d = yaml.safe_load((DATA_DIR / "veiled.yaml").read_text("utf-8"))
    markers = re.compile(grouped_cues({"s": d["markers"]["strong"], "k": d["markers"]["weak"]}))
    # Clues run on lower-cased text: five times faster than re.IGNORECASE on the same text.
    clues = [Clue(c["code"], float(c["w"]), c["label"], re.compile(lower_pattern(c["re"]))) for c in d["clues"]]
    strong_clues = re.compile("|".join(f"(?:{c.rx.pattern})" for c in clues if c.weight >= 1.0))
    return markers, clues, re.compile(stem_alternation(_NOUNS)), strong_clues


def lower_pattern(pattern: str) -> str:
    """A regex for lower-cased text: its letters lower-cased, its escapes (\\W, \\S, \\B) kept."""
    return _ESCAPE_OR_TEXT.sub(lambda m: m.group(0) if m.group(0)[0] == "\\" else m.group(0).lower(), pattern)


_ESCAPE_OR_TEXT = re.compile(r"\\.|[^\\]+", re.DOTALL)


def find_markers(text: str, ends: list[int] | Callable[[], list[int]], hostile_sents: Callable[[], set[int]],
                 low: str | None = None) -> list[Marker]:
    """Strong markers anywhere; weak ones ("some countries") in hostile sentences or with clues.

    `ends` (sentence ends) may be a function computing them, called only for a weak marker;
    `low` is the lower-cased normalised text when the caller has it.
    """
    rx, _, _, strong_clues = _data()
    t = lower_keep_len(normalise(text)) if low is None else low
    if not _nouns_rx().search(t):
        return []
    out: list[Marker] = []
    has_clue = hostile = None
    for m in rx.finditer(t):
        g = m.groupdict()
        if not (g.get("s") or g.get("hs")):
            if hostile is None:
                hostile = hostile_sents()
                ends = ends() if callable(ends) else ends
            if bisect.bisect_right(ends, m.start()) not in hostile:
                if has_clue is None:
                    has_clue = strong_clues.search(t) is not None
                if not has_clue:
                    continue
        out.append(Marker(m.start(), m.end(), text[m.start() : m.end()], bool(g.get("s") or g.get("hs"))))
    return sorted(out, key=lambda m: m.start)


def clue_hits(low: str) -> list[Clue]:
    """The clues found in a lower-cased normalised text, in clue order (the text's part of `resolve`)."""
    clues = _data()[1]
    return [clues[i] for i in _clue_index().candidates(low) if clues[i].rx.search(low)]


def resolve(
    text: str, prior: dict[str, float] | None, exclude: set[str | None], hits: list[Clue] | None = None
) -> Resolution:
    """The country a veiled reference means, from clues in the text and the account's prior.

    `hits` are the text's `clue_hits`, when known: only the prior changes between two resolutions
    of the same post.
    """
    if hits is None:
        hits = clue_hits(lower_keep_len(normalise(text)))
    scores: dict[str, float] = {}
    found: dict[str, list[str]] = {}
    for c in hits:
        if c.code in exclude:
            continue
        scores[c.code] = scores.get(c.code, 0.0) + c.weight
        found.setdefault(c.code, []).append(c.label)
    for code, share in (prior or {}).items():
        if code in exclude or share <= 0:
            continue
        scores[code] = scores.get(code, 0.0) + PRIOR_WEIGHT * min(float(share), 1.0)
        found.setdefault(code, []).append(f"account prior {float(share):.2f}")
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked:
        return Resolution(None, 0.0, [], {})
    top, best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    has_clue = any(not s.startswith("account prior") for s in found[top])
    if best < RESOLVE_AT or best - second < MARGIN or not has_clue:
        return Resolution(None, 0.0, sorted({x for v in found.values() for x in v}), scores)
    conf = round(min(0.99, best / (best + second + 0.5)), 3)
    return Resolution(top, conf, found[top], scores)


class ClueIndex:
    """Which clues can match a text, from literal anchors every match of a clue contains.

    Each branch of a clue's regex has a run of literal letters ("states" in "all (of )?its
    (50 )?states"); a text holding none of a clue's anchors cannot match it, so looking for the
    anchors replaces most of the 56 clue searches. Clues with a branch too loose for an anchor are
    always tried.
    """

    def __init__(self, patterns: list[str]) -> None:
        self.always: list[int] = []
        by_anchor: dict[str, set[int]] = {}
        for i, p in enumerate(patterns):
            anchors = clue_anchors(p)
            if anchors is None:
                self.always.append(i)
            for a in anchors or ():
                by_anchor.setdefault(a, set()).add(i)
        # Anchors by their first two letters: a text holds an anchor only if it holds those two.
        self.by_pair: dict[tuple[str, str], list[tuple[str, set[int]]]] = {}
        for a, ids in by_anchor.items():
            self.by_pair.setdefault((a[0], a[1]), []).append((a, ids))
        self.pairs = frozenset(self.by_pair)

    def candidates(self, t: str) -> list[int]:
        """Indices of the clues worth searching in a lower-cased text, in clue order: those of every
        anchor the text holds, looked for only among the anchors starting with a letter pair of the
        text (27 us a veiled post; a trie search over all anchors took 42)."""
        hit = set(self.always)
        for pair in self.pairs.intersection(pairwise(t)):
            for a, ids in self.by_pair[pair]:
                if a in t:
                    hit |= ids
        return sorted(hit)


def clue_anchors(pattern: str, shortest: int = 2) -> list[str] | None:
    """Literals of which every match holds one: per top-level branch, its longest literal run or
    the alternatives of a group of plain literals ("(richest|strongest) nation"); None if some
    branch has neither, `shortest` letters long at least."""
    import re._parser as sre_parse  # the regex's own parse tree: quantifiers bind as re binds them

    tree = list(sre_parse.parse(pattern))
    branches = tree[0][1][1] if len(tree) == 1 and tree[0][0] == sre_parse.BRANCH else [tree]
    out = []
    for branch in branches:
        options, run = [], ""
        for op, av in branch:
            run = run + chr(av) if op == sre_parse.LITERAL else ""
            options.append([run])
            if op == sre_parse.SUBPATTERN:
                options.append(_literal_alternatives(list(av[3]), sre_parse))
        best = max(options, key=lambda o: min(map(len, o)) if o else 0, default=[])
        if not best or min(map(len, best)) < shortest:
            return None
        out += best
    return out


def _literal_alternatives(sub: list, sre_parse) -> list[str]:
    """The strings of a group that is a plain literal or an alternation of plain literals."""
    alts = sub[0][1][1] if len(sub) == 1 and sub[0][0] == sre_parse.BRANCH else [sub]
    words = []
    for alt in alts:
        if not alt or any(op != sre_parse.LITERAL for op, _ in alt):
            return []
        words.append("".join(chr(av) for _, av in alt))
    return words


@lru_cache(maxsize=1)
def _clue_index() -> ClueIndex:
    return ClueIndex([c.rx.pattern for c in _data()[1]])


def warm_patterns() -> None:
    """Compile the marker, clue and cue patterns once per process (about half a second)."""
    from envoywatch.analysis.stance import _merged_without_han, _merged_without_loose, cue_patterns

    _nouns_rx()
    _data()
    _clue_index()
    cue_patterns()
    _merged_without_han()
    _merged_without_loose()
