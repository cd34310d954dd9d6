"""First-character guards put in front of hot regexes change no match, only how fast a miss fails."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from envoywatch.analysis import blockclaims, lang, replies, stance
from envoywatch.analysis.patterns import compile_guarded, with_first_char_guard

EVALDATA = Path(__file__).resolve().parents[1] / "evaldata"
HOSTILE = ["", " ", "🙂🙂🙂", "A" * 5000, "<script>alert('blocked me')</script>", "x\n\ny. Z! a? b… ok",
           "U.S. and U.K. met. Mr. X said: no! Then, while A waited, but not…", "Ｂｌｏｃｋｅｄ ｍｅ", "ſhit КЕЛЬВИН K",
           "Бан! ЧС. блокнул меня, ЗАБЛОКИРОВАЛИ; Мені бұғаттап тастады", "我被拉黑了，而他却没有。但是！",
           "Хуйня полная, п*здец, FUCK this, sb", "İstanbul ıI and ǅ ǆ Ǆ ß ẞ", "the and of El la que y Der die das"]


def _corpus() -> list[str]:
    texts = list(HOSTILE)
    for path in sorted(EVALDATA.glob("*/*.jsonl")):
        with path.open(encoding="utf-8") as f:
            texts += [json.loads(line).get("text") or "" for line in f if line.strip()]
    return texts


def _unguarded(rx: re.Pattern[str]) -> re.Pattern[str]:
    assert rx.pattern.startswith("(?=[") and rx.pattern.endswith(")")
    return re.compile(rx.pattern.split("])(?:", 1)[1][:-1], rx.flags)


@pytest.mark.parametrize("rx", [blockclaims._ANY_STEM, replies._OBSCENE, stance._SENT_END, lang._FUNCTION_WORDS],
                         ids=["block stems", "obscene", "sentence ends", "function words"])
def test_guarded_patterns_match_exactly_what_they_matched(rx) -> None:
    plain = _unguarded(rx)
    for text in _corpus():
        for t in (text, text.lower(), text.upper()):
            assert [m.span() for m in rx.finditer(t)] == [m.span() for m in plain.finditer(t)], t


@pytest.mark.parametrize("pattern,guard", [
    ("a*b", "ab"), ("a?b?", None), ("[^a]x", None), (r"a?b?c", "abc"), (r"(?:x|y)+z", "xy"),
    (r",?\s+(?=a)", r",\s"), (r"\bfoo|bar", "bf"), (r"(?<!\w)(?:k|[m-p])", "km-p"), ("", None),
])
def test_guard_is_the_set_of_first_characters(pattern, guard) -> None:
    out = with_first_char_guard(pattern)
    if guard is None:
        assert out == pattern
    else:
        assert out == f"(?=[{guard}])(?:{pattern})"


def test_guard_keeps_case_folding_of_the_flags() -> None:
    rx = compile_guarded("блок|block", re.IGNORECASE)
    assert rx.search("БЛОК") and rx.search("Block") and not compile_guarded("блок").search("БЛОК")


def test_cues_without_han_stems_match_the_same_in_texts_without_han() -> None:
    merged, _ = stance.cue_patterns()
    no_han = stance._merged_without_han()
    assert no_han.pattern != merged.pattern  # the Chinese stems all start with a Han character
    texts = [stance.prepare(t) for t in _corpus() if not stance._HAN.search(t)]
    assert len(texts) > 1000
    for t in texts:
        assert [m.span() for m in no_han.finditer(t)] == [m.span() for m in merged.finditer(t)], t
    assert stance.find_cues(stance.prepare("美国一再抹黑中国。"))  # a text with Han characters uses every stem
