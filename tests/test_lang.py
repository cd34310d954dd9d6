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
