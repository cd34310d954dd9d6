"""Stance toward each country in a post: hostile, friendly or neutral, from cues near its mentions.

Each hostile or friendly cue (multilingual stems in data/countries/stance.yaml) counts for the
nearest country mentioned in the same sentence. The sender is never a candidate (an embassy
does not attack its own country), the host needs stronger evidence than a third country, and a
country named right after a hostile verb ("smear China", «抹黑中国») is its object, not its target.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from envoywatch.analysis.gazetteer import DATA_DIR, normalise
from envoywatch.analysis.patterns import (
    compile_guarded,
    grouped_cues,
    han_stems_start_with_han,
    literal_start,
    lower_keep_len,
)

_HAN = re.compile(r"[\u3400-\u9fff]")
# Sentence ends: . ! ? followed by space (not the dots inside "U.S."), CJK stops, semicolons, lines.
_SENT_END = compile_guarded(
    r"(?=[.!?…])(?<![A-Z]\.[A-Z])(?<!\b[A-Z])[.!?…]+(?=\s|$)|[。！？；;\n]+"
    # a contrast starts a new clause: "…, while the US …", «…, ал АҚШ …», «…，而美国…»
    r"|,?\s+(?=(?:while|whereas|but|а|но|однако|тогда как|ал|бірақ|алайда)\s)|，(?=而|但|却)",
    re.IGNORECASE,
)
_AGAINST = re.compile(r"(?:against|против|对|针对|向)\s*#?$", re.IGNORECASE)
_LOCATIVE = re.compile(r"(?:\bв|\bво|\bin|\bat|在)\s*$", re.IGNORECASE)
_COORD = re.compile(r"\s*(?:,|&|and|и|мен|бен|пен|және|和|与|及|、)?\s*(?:the\s+)?")
_KK_DATIVE = re.compile(r"(?:ға|ге|қа|ке)$", re.IGNORECASE)
HOST_PENALTY = 3.0  # a hostile cue must be this much closer to the host than to a third country
OBJECT_GAP = 14  # "smear China", "interfere in the affairs of Hong Kong"


@dataclass(slots=True)
class Site:
    """A place where a country (or a veiled reference, key '?') is named."""

    key: str
    start: int
    end: int
    locative: bool = False  # named as a place ("in Afghanistan"), set by `stances`


@dataclass(slots=True)
class Stance:
    hostile: float = 0.0
    friendly: float = 0.0
    cues: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Cue:
    """A hostile or friendly cue found in a post; `victim_*` say where its victim stands (not frozen:
    made per match, five times faster)."""

    start: int
    end: int
    hostile: bool
    victim_after: bool
    victim_before: bool
    surface: str


@lru_cache(maxsize=1)
def _cue_groups() -> tuple[dict[str, list[str]], list[str]]:
    """Cue stems per kind (v/w: victim after/before, x: other hostile, f: friendly), and quotes."""
    data = yaml.safe_load((DATA_DIR / "stance.yaml").read_text("utf-8"))
    hostile = [p for lang in data["hostile"].values() for p in lang]
    groups = {
        "v": [p[1:] for p in hostile if p.startswith("@")],
        "w": [p[2:] for p in hostile if p.startswith("<@")],
        "x": [p for p in hostile if p[0] not in "@<"],
        "f": [p for lang in data["friendly"].values() for p in lang],
    }
    return groups, [q.lower() for q in data.get("hostile_quotes", [])]


@lru_cache(maxsize=1)
def cue_patterns() -> tuple[re.Pattern[str], dict[str, re.Pattern[str]]]:
    """All cues as one merged regex over lower-cased text, plus one regex per kind of cue
    (v/w: victim after/before, x: other hostile, f: friendly) to tell a match's kind."""
    groups, quotes = _cue_groups()
    merged = re.compile(grouped_cues({None: [p for g in groups.values() for p in g]}, quotes))
    kinds = {k: re.compile(grouped_cues({None: v})) for k, v in groups.items()}
    return merged, kinds


@lru_cache(maxsize=1)
def _merged_without_han() -> re.Pattern[str]:
    """The merged cues without their Chinese stems, for texts with no Han character (most):
    the same matches, without testing the Chinese stems' guard at every position."""
    groups, quotes = _cue_groups()
    stems = {None: [p for g in groups.values() for p in g]}
    if not han_stems_start_with_han(stems):
        return cue_patterns()[0]
    return re.compile(grouped_cues(stems, quotes, with_han=False))


@lru_cache(maxsize=1)
def _merged_without_loose() -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """The merged cues without Chinese stems and without the few stems that start with a group
    ("(deeply|gravely) concerned"), with literals each match of those holds (" concerned").

    The five cost as much at every word start as the other 500 stems in their trie; a text holding
    none of their literals cannot match them, so leaving them out finds the same cues in it."""
    from envoywatch.analysis.veiled import clue_anchors

    groups, quotes = _cue_groups()
    stems = [p for g in groups.values() for p in g]
    if not han_stems_start_with_han({None: stems}):
        return None, ()
    loose = {p.lower() for p in stems if not _HAN.search(p) and not literal_start(p.lower())}
    anchors: list[str] = []
    for p in sorted(loose):
        found = clue_anchors(p)
        if found is None:
            return None, ()
        anchors += found
    rest = [p for p in stems if p.lower() not in loose]
    return re.compile(grouped_cues({None: rest}, quotes, with_han=False)), tuple(anchors)


def _merged_for(low: str) -> re.Pattern[str]:
    """The cheapest merged cue regex that finds every cue of this lower-cased text."""
    if not low.isascii() and _HAN.search(low):
        return cue_patterns()[0]
    narrow, anchors = _merged_without_loose()
    if narrow is None or any(a in low for a in anchors):
        return _merged_without_han()
    return narrow


def prepare(text: str) -> str:
    """The text as cue patterns see it: normalised quotes and ё, lower case, same offsets."""
    return lower_keep_len(normalise(text))


def find_cues(low: str) -> list[Cue]:
    """Every cue in a prepared (lower-cased) text, in text order."""
    kinds = cue_patterns()[1]
    out = []
    for m in _merged_for(low).finditer(low):
        start, end = m.span()
        kind = "x"
        for k, rx in kinds.items():  # the first kind whose stems match here to the same end
            km = rx.match(low, start)
            if km is not None and km.end() == end:
                kind = k
                break
        out.append(Cue(start, end, kind != "f", kind == "v", kind == "w", m.group(0).strip()[:40]))
    return out


def sentence_ends(text: str) -> list[int]:
    """Offsets where sentences end, for mapping a position to its sentence."""
    return [m.end() for m in _SENT_END.finditer(text)]


def hostile_sentences(cues: list[Cue], ends: list[int]) -> set[int]:
    """Indices of sentences that hold at least one hostile cue."""
    return {bisect.bisect_right(ends, c.start) for c in cues if c.hostile}


def stances(
    low: str, sites: list[Site], sender: str | None, host: str | None, cues: list[Cue], ends: list[int]
) -> dict[str, Stance]:
    """Hostile and friendly weight per key, each cue given to the nearest fitting site.

    `ends` (sentence ends) are read only when there are cues."""
    out = {s.key: Stance() for s in sites}
    cands = [s for s in sites if s.key != sender]
    if not cands or not cues:  # nothing to weigh (sites' `locative` is only read below)
        return out
    if all(s.key == cands[0].key for s in cands):  # most posts: every cue can only go to this country
        _to_one_country(out[cands[0].key], cands, host, cues, ends)
        return out
    _weigh(out, low, cands, host, cues, ends)
    return out


def _weigh(out: dict[str, Stance], low: str, cands: list[Site], host: str | None, cues: list[Cue],
           ends: list[int]) -> None:
    """Each cue to the nearest fitting candidate site (and the countries named together with it)."""
    by_sent: dict[int, list[Site]] = {}
    for s in cands:
        s.locative = bool(_LOCATIVE.search(low, max(0, s.start - 6), s.start))
        by_sent.setdefault(bisect.bisect_right(ends, s.start), []).append(s)
    victims = _victims(low, cues, cands)
    partners = _partners(low, cands)
    for c in cues:
        pool = by_sent.get(bisect.bisect_right(ends, c.start))
        if not pool:
            pool = [s for s in cands if s.key != host] if c.hostile else cands
        site = _nearest(c, pool, host, victims)
        if site is None:
            continue
        keys = {site.key} | {
            s.key for s in partners.get(id(site), ()) if not c.hostile or (id(s) not in victims and s.key != host)
        }
        for key in keys:
            _count(out[key], c)


def _count(st: Stance, c: Cue) -> None:
    if c.hostile:
        st.hostile += 1.0
    else:
        st.friendly += 1.0
    st.cues.append(("-" if c.hostile else "+") + c.surface)


def _to_one_country(st: Stance, cands: list[Site], host: str | None, cues: list[Cue], ends: list[int]) -> None:
    """`_weigh` when every candidate site names one country: whichever site a cue goes to, it counts
    once for that country; only a hostile cue outside the country's sentences skips the host."""
    if cands[0].key == host:
        sents = {bisect.bisect_right(ends, s.start) for s in cands}
        cues = [c for c in cues if not c.hostile or bisect.bisect_right(ends, c.start) in sents]
    for c in cues:
        _count(st, c)


def _partners(t: str, sites: list[Site]) -> dict[int, list[Site]]:
    """Countries named together ("Britain and the US", «Британия и США», 美英) share their cues."""
    ordered = sorted(sites, key=lambda s: s.start)
    groups: list[list[Site]] = []
    for prev, cur in zip([None, *ordered], ordered, strict=False):
        if prev is not None and prev.end <= cur.start and _COORD.fullmatch(t, prev.end, cur.start):
            groups[-1].append(cur)
        else:
            groups.append([cur])
    return {id(s): g for g in groups if len(g) > 1 for s in g}


def _victims(t: str, cues: list[Cue], sites: list[Site]) -> set[int]:
    """Sites in a victim's slot: right after a victim verb ("smear China"), right before a Kazakh
    «қарсы соғыс», after "against"/«против»/对, or in the Kazakh dative."""
    out = {i for i, s in enumerate(sites) if _victim_form(t, s)}
    for c in cues:
        if c.victim_after:
            after = [(s.start - c.end, i) for i, s in enumerate(sites) if 0 <= s.start - c.end <= OBJECT_GAP]
            out.update(i for _, i in sorted(after)[:1])
        if c.victim_before:
            before = [(c.start - s.end, i) for i, s in enumerate(sites) if 0 <= c.start - s.end <= OBJECT_GAP]
            out.update(i for _, i in sorted(before)[:1])
    return {id(sites[i]) for i in out}


def _nearest(c: Cue, pool: list[Site], host: str | None, victims: set[int]) -> Site | None:
    """The site a cue counts for; a hostile cue skips victims while anyone else is there."""
    if c.hostile:
        pool = [s for s in pool if id(s) not in victims] or pool
    best, best_d = None, float("inf")
    for s in pool:
        d = float(s.start - c.end) if s.start >= c.end else float(max(0, c.start - s.end))
        if c.hostile and len(pool) > 1 and s.locative:
            d = (d + 10) * 2
        if c.hostile and s.key == host:
            d = (d + 10) * HOST_PENALTY
        if d < best_d:
            best, best_d = s, d
    return best


def _victim_form(t: str, s: Site) -> bool:
    """A country in a victim's slot: after "against"/«против»/对, or in the Kazakh dative."""
    if _AGAINST.search(t, max(0, s.start - 12), s.start):
        return True
    return bool(_KK_DATIVE.search(t, s.start, s.end))


def decide(st: Stance, is_host: bool, veiled: bool = False) -> str:
    """hostile / friendly / neutral from the weights; veiled references lean hostile."""
    if veiled:
        return "friendly" if st.friendly > st.hostile + 1 else "hostile"
    if st.hostile >= 1 and (st.hostile > st.friendly if is_host else st.hostile >= st.friendly):
        return "hostile"
    if st.friendly > 0:
        return "friendly"
    return "neutral"
