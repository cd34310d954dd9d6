"""Block self-report detection: claims in kk/ru/en/zh, hard negatives, linking and bad input."""

from __future__ import annotations

import json

import pytest

from envoywatch.analysis.blockclaims import find_block_claim, is_block_claim
from envoywatch.evaluation import REPO_EVALDATA

CLAIMS = [
    ("He blocked me for asking about Xinjiang.", "en"),
    ("I got blocked by the embassy after one comment", "en"),
    ("Меня заблокировал посол за вопрос", "ru"),
    ("я в блоке у посольства", "ru"),
    ("Посол мені бұғаттап тастады", "kk"),
    ("Мен де бұғатталдым", "kk"),
    ("我被拉黑了", "zh"),
    ("大使把我屏蔽了", "zh"),
]
NOT_CLAIMS = [
    ("I blocked them, enough propaganda.", "en"),
    ("Someone should block this account.", "en"),
    ("Police blocked the road near the embassy.", "en"),
    ("China blocked the resolution.", "en"),
    ("Blockchain is the future.", "en"),
    ("Я заблокировал этот аккаунт.", "ru"),
    ("Полиция заблокировала дорогу.", "ru"),
    ("Меня пока не заблокировали.", "ru"),
    ("Мен оны бұғаттадым.", "kk"),
    ("Бұл аккаунтты бұғаттау керек.", "kk"),
    ("我把他拉黑了", "zh"),
    ("区块链技术", "zh"),
]


@pytest.mark.parametrize(("text", "lang"), CLAIMS)
def test_claims_are_found(text: str, lang: str) -> None:
    claim = find_block_claim(text, lang)
    assert claim is not None
    assert claim.evidence and claim.evidence in text.replace("ё", "е")


@pytest.mark.parametrize(("text", "lang"), NOT_CLAIMS)
def test_hard_negatives_are_not_claims(text: str, lang: str) -> None:
    assert not is_block_claim(text, lang)


def test_claim_found_whatever_language_is_stated() -> None:
    assert is_block_claim("меня заблокировали", "en")
    assert is_block_claim("我也被拉黑了", None)


def test_blocked_by_comes_from_a_mention() -> None:
    claim = find_block_claim("I got blocked by @ChinaEmbKZ today", "en", "x:other")
    assert claim is not None and claim.blocked_by == "ChinaEmbKZ"


def test_blocked_by_falls_back_to_the_parent_account_when_addressed() -> None:
    claim = find_block_claim("You blocked me for a polite question?", "en", "x:embassy")
    assert claim is not None and claim.blocked_by == "x:embassy"
    assert find_block_claim("Blocked me lol", "en", None).blocked_by is None


def test_screenshot_flag() -> None:
    assert find_block_claim("Меня заблокировали, скрин прилагаю", "ru").screenshot is True
    assert find_block_claim("我被拉黑了，截图为证", "zh").screenshot is True
    assert find_block_claim("he blocked me", "en").screenshot is None


def test_as_dict_shape() -> None:
    d = find_block_claim("he blocked me", "en").as_dict()
    assert set(d) == {"blocked_by", "screenshot", "evidence", "lang"}
    assert d["lang"] == "en"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😀😀", "<script>alert('blocked me')</script>" * 2, "a" * 100_000, None],
)
def test_bad_input_does_not_fail(text) -> None:
    find_block_claim(text, "en")


def test_dev_set_f1() -> None:
    rows = [json.loads(x) for x in (REPO_EVALDATA / "blocks" / "dev.jsonl").open(encoding="utf-8")]
    assert sum(r["label"] for r in rows) >= 60 and sum(not r["label"] for r in rows) >= 60
    pred = [is_block_claim(r["text"], r["lang"]) for r in rows]
    tp = sum(p and r["label"] for p, r in zip(pred, rows))
    fp = sum(p and not r["label"] for p, r in zip(pred, rows))
    fn = sum(r["label"] and not p for p, r in zip(pred, rows))
    assert 2 * tp / (2 * tp + fp + fn) >= 0.95
