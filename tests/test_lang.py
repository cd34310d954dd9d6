"""Language of each post: kk/ru/en/zh, short and mixed posts, bad input."""

from __future__ import annotations

import pytest

from envoywatch.analysis.base import Context, PostInput
from envoywatch.analysis.lang import LangAnalyzer, detect


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("We signed an agreement on trade and culture today.", "en"),
        ("Сегодня мы подписали соглашение о сотрудничестве.", "ru"),
        ("Бүгін екі ел ынтымақтастық туралы келісімге қол қойды.", "kk"),
        ("今天两国签署了合作协议。", "zh"),
        ("Рахмет!", "kk"),
        ("Спасибо!", "ru"),
        ("Gracias por todo, amigos", "es"),
        ("Слава Україні", "uk"),
        ("https://t.co/abc @embassy #Kazakhstan Thank you very much for the warm welcome", "en"),
    ],
)
def test_detects_the_language(text: str, lang: str) -> None:
    assert detect(text)[0] == lang


def test_mixed_post_reports_dominant_and_all() -> None:
    lang, langs = detect("Мы за мир и дружбу между народами! 中哈友谊万岁")
    assert lang in {"ru", "zh"} and set(langs) == {"ru", "zh"}


@pytest.mark.parametrize("text", ["", "   ", "😀🎉", "🇰🇿🇨🇳", "12345 !!!", "<br/><br/>", "\x00\ufffd"])
def test_no_letters_is_undetermined(text: str) -> None:
    assert detect(text)[0] == "und"


def test_long_and_marked_up_text_does_not_fail() -> None:
    assert detect("<script>alert(1)</script> Hello world, how are you today? " * 3000)[0] == "en"


def test_caller_language_is_trusted() -> None:
    posts = [PostInput("1", "Hello there, friends", lang="KK"), PostInput("2", "Привет, друзья и коллеги")]
    anns = [{"id": "1"}, {"id": "2"}]
    LangAnalyzer().run(posts, anns, Context(fast=True))
    assert [a["lang"] for a in anns] == ["kk", "ru"]


def test_function_word_trie_finds_what_the_plain_alternation_found() -> None:
    import json
    import re
    from pathlib import Path

    from envoywatch.analysis import lang

    words = sorted(lang._EN_WORDS) + list(lang._OTHER_WORDS)
    plain = re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)
    texts = ["THE And İÇİN için ıçin DER the_x the1 Die-die", "ſtop The", "", "🙂 y Y el-la", "des DES dés"]
    for path in sorted((Path(__file__).resolve().parents[1] / "evaldata").glob("*/*.jsonl")):
        texts += [json.loads(line).get("text") or "" for line in path.read_text("utf-8").splitlines() if line]
    for t in texts:
        assert lang._FUNCTION_WORDS.findall(t) == plain.findall(t), t


def test_kazakh_word_trie_finds_what_the_plain_alternation_found() -> None:
    import json
    import re
    from pathlib import Path

    from envoywatch.analysis import lang

    plain = re.compile(r"(?<!\w)(рахмет|мен|бен|пен|деп|жоқ|емес|осы|бар|жыл|елші|елшілігі)(?!\w)", re.IGNORECASE)
    texts = ["Рахмет!", "ЕЛШІЛІГІ", "елшілер", "Менің", "бар-жоқ", "", "🙂", "Спасибо, посольство"]
    for path in sorted((Path(__file__).resolve().parents[1] / "evaldata").glob("*/*.jsonl")):
        texts += [json.loads(line).get("text") or "" for line in path.read_text("utf-8").splitlines() if line]
    for t in texts:
        assert bool(lang._KK_WORDS.search(t)) == bool(plain.search(t)), t
