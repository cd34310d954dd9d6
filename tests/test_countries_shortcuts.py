"""The countries analyzer's and the propaganda analyzer's shortcuts answer exactly as the general rules do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envoywatch.analysis import countries, stance
from envoywatch.analysis.countries import annotate_countries
from envoywatch.analysis.gazetteer import normalise
from envoywatch.analysis.patterns import lower_keep_len
from envoywatch.analysis.veiled import _clue_index, warm_patterns

EVALDATA = Path(__file__).resolve().parents[1] / "evaldata"
PAIRS = [("CN", "KZ"), ("US", "CN"), ("RU", "US"), (None, None), ("KZ", "CN")]


def _texts() -> list[tuple[str, str | None, str | None]]:
    """Every labelled text of evaldata with its own sender and host, and under other pairs."""
    out = []
    for path in sorted(EVALDATA.glob("*/*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            text = row.get("text") or ""
            out.append((text, row.get("sender"), row.get("host")))
            out += [(text, s, h) for s, h in PAIRS]
    return out


def _general_stances(low, sites, sender, host, cues, ends):
    """`stances` without its one-country shortcut: every post weighed by nearest sites."""
    out = {s.key: stance.Stance() for s in sites}
    cands = [s for s in sites if s.key != sender]
    if cands and cues:
        stance._weigh(out, low, cands, host, cues, ends)
    return out


def test_one_country_posts_get_the_stances_of_the_general_rule(monkeypatch) -> None:
    texts = _texts()
    fast = [annotate_countries(t, s, h) for t, s, h in texts]
    monkeypatch.setattr(countries, "stances", _general_stances)
    general = [annotate_countries(t, s, h) for t, s, h in texts]
    assert fast == general
    assert sum(bool(c) for c, _ in fast) > 500  # the texts name countries


def _finder_of(index):
    """The clues of a text as one trie search over every anchor finds them (what `candidates` replaced):
    the longest anchor at each place, standing for every anchor that is a prefix of it."""
    import re

    from envoywatch.analysis.gazetteer import trie_pattern

    by_anchor = {a: ids for group in index.by_pair.values() for a, ids in group}
    clues_at = {a: {i for b, ids in by_anchor.items() if a.startswith(b) for i in ids} for a in by_anchor}
    finder = re.compile("(?=(" + trie_pattern(list(by_anchor)) + "))")

    def candidates(t: str) -> list[int]:
        hit = set(index.always)
        for m in finder.finditer(t):
            hit |= clues_at[m.group(1)]
        return sorted(hit)
    return candidates


@pytest.mark.parametrize("extra", ["", "  all its states burning; left the european union", "某国 核污水 排海"])
def test_clue_candidates_by_letter_pairs_equal_the_finders(extra: str) -> None:
    warm_patterns()
    index = _clue_index()
    lows = [lower_keep_len(normalise(t + extra)) for t, _, _ in _texts()[::3]]
    by_finder = _finder_of(index)
    assert [index.candidates(t) for t in lows] == [by_finder(t) for t in lows]
    assert sum(bool(index.candidates(t)) for t in lows) > 50


def test_propaganda_decides_the_same_on_lists_as_on_arrays() -> None:
    from envoywatch.analysis.propaganda import as_rows, decide, load_model, score_texts

    model = load_model()
    texts = [t for t, _, _ in _texts()[::5]]
    probs = score_texts(model, texts, None)
    rows = as_rows(probs)
    for i, lang in zip(range(len(texts)), ["en", "ru", "kk", "zh", "es", None] * len(texts), strict=False):
        assert decide(model, rows, i, True, lang) == decide(model, probs, i, True, lang)


def test_camel_case_hashtags_found_in_one_search_are_the_ones_split_before() -> None:
    import random

    from envoywatch.analysis import gazetteer as gz

    rng = random.Random(7)
    letters = "aZbQяЖәҚіІ_1#é -"
    for _ in range(20_000):
        t = "".join(rng.choice(letters) for _ in range(rng.randint(0, 60)))
        if rng.random() < 0.3:  # a capital at and around the 60th letter of a tag
            t = "#" + "a" * rng.randint(55, 62) + "B" + t
        want = [(h.start(), h.group(1)) for h in gz._HASHTAG.finditer(t) if gz._CAMEL.search(h.group(1))]
        assert [(h.start(), h.group(1)) for h in gz._CAMEL_HASHTAG.finditer(t)] == want


def test_texts_repeated_in_a_batch_get_what_they_get_alone() -> None:
    """Language, keyword topics and propaganda scores of a repeated text are computed once per
    batch: every copy gets what the text gets in a batch of its own, and objects of its own."""
    from envoywatch.analysis.base import Context, PostInput
    from envoywatch.analysis.lang import LangAnalyzer
    from envoywatch.analysis.propaganda import load_model, score_texts
    from envoywatch.analysis.topics import keyword_scores

    texts = [t for t, _, _ in _texts()[::25]]
    texts = texts + texts[::-2] + ["", "", "Спасибо! Thank you 谢谢", "Спасибо! Thank you 谢谢"]
    posts = [PostInput(id=str(i), text=t) for i, t in enumerate(texts)]
    anns = [{"id": p.id} for p in posts]
    LangAnalyzer().run(posts, anns, Context(fast=True))
    for p, ann in zip(posts, anns, strict=True):
        alone = [{"id": p.id}]
        LangAnalyzer().run([p], alone, Context(fast=True))
        assert ann == alone[0]
    assert anns[-1]["langs"] == anns[-2]["langs"] and anns[-1]["langs"] is not anns[-2]["langs"]
    kw = keyword_scores(texts)
    model = load_model()
    probs = score_texts(model, texts, None)
    for i, t in enumerate(texts):
        assert (kw[i] == keyword_scores([t])[0]).all()
        one = score_texts(model, [t], None)
        assert all(probs[name][i] == one[name][0] for name in one)


def test_cues_of_texts_without_the_group_stems_literals_are_found_without_them() -> None:
    from envoywatch.analysis.stance import _merged_for, _merged_without_han, _merged_without_loose

    warm_patterns()
    narrow, anchors = _merged_without_loose()
    assert narrow is not None and " concerned" in anchors
    lows = [lower_keep_len(normalise(t)) for t, _, _ in _texts()[::5]]
    lows += [t + " we are deeply concerned; the kiev regime must stop; we firmly oppose «демократия»" for t in lows[::4]]
    lows = [t for t in lows if not stance._HAN.search(t)]
    for t in lows:
        assert [m.span() for m in _merged_for(t).finditer(t)] == [m.span() for m in _merged_without_han().finditer(t)]
    assert 0 < sum(_merged_for(t) is narrow for t in lows) < len(lows)


def test_no_ascii_character_is_in_the_classes_skipped_for_ascii_text() -> None:
    from envoywatch.analysis import gazetteer, lang

    skipped = [rx for name, rx in lang._SCRIPTS.items() if name != "lat"]
    skipped += [gazetteer._CYR_RE, gazetteer._HAN, gazetteer._FLAG_LETTER, stance._HAN]
    for rx in skipped:
        assert not any(rx.search(chr(c)) for c in range(128)), rx.pattern
