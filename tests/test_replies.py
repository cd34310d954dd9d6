"""The replies analyzer: contract, reply fields, fast path, disguised obscenities and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from envoywatch.analysis.base import ANALYZERS, Context, PostInput
from envoywatch.analysis.replies import RepliesAnalyzer, load_model, ngram_text, normalize


def _fake_embed(texts):
    rng = np.random.default_rng(len(texts))
    v = rng.normal(size=(len(texts), 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _run(texts, langs, reply=True, ctx=None):
    posts = [
        PostInput(id=str(i), text=t, lang=lg, in_reply_to="p0" if reply else None,
                  parent_account="x:embassy")
        for i, (t, lg) in enumerate(zip(texts, langs))
    ]  # fmt: skip
    anns = [{"id": p.id, "lang": p.lang} for p in posts]
    a = RepliesAnalyzer()
    a.setup()
    a.run(posts, anns, ctx or Context(fast=True))
    return anns


def test_registered_with_its_contract() -> None:
    cls = ANALYZERS.get("replies")
    assert cls is RepliesAnalyzer
    assert cls.requires == ("lang",)
    assert set(cls.assigns) == {"reply", "block_claim"}


def test_reply_fields_and_ranges() -> None:
    anns = _run(["Спасибо за помощь!", "Вы позорите свою страну"], ["ru", "ru"])
    for ann in anns:
        r = ann["reply"]
        assert set(r) == {"hostility", "hostile", "stance", "offensive", "block_claim"}
        assert 0.0 <= r["hostility"] <= 1.0
        assert r["stance"] in ("against", "neutral", "support")
        assert ann["block_claim"] is None


def test_non_replies_get_no_reply_key_but_block_claims() -> None:
    anns = _run(["The ambassador blocked me yesterday."], ["en"], reply=False)
    assert "reply" not in anns[0]
    assert anns[0]["block_claim"]["evidence"]


def test_block_claim_links_parent_account() -> None:
    anns = _run(["You blocked me for one question?"], ["en"])
    assert anns[0]["reply"]["block_claim"] is True
    assert anns[0]["block_claim"]["blocked_by"] == "x:embassy"


def test_obvious_cases_fast_path() -> None:
    texts = [
        "Да пошли вы нах*й со своей пропагандой",
        "Какая же xyйня этот пост",
        "Спасибо посольству за помощь с масками!",
        "Ұят! Өтірікші насихатшылар",
        "Рақмет, елшілік! Көмектерің үшін алғыс айтамыз.",
        "傻逼言论，滚",
    ]
    anns = _run(texts, ["ru", "ru", "ru", "kk", "kk", "zh"])
    hostile = [a["reply"]["hostile"] for a in anns]
    assert hostile == [True, True, False, True, False, True]


def test_embedding_path_uses_the_context() -> None:
    ctx = Context(embed_fn=_fake_embed)
    anns = _run(["Хорошая новость", "Позор послу"], ["ru", "ru"], ctx=ctx)
    assert len(ctx._cache) == 2
    assert all("reply" in a for a in anns)


def test_disguised_obscenities_are_undone() -> None:
    assert normalize("Пиzдец") == "пиздец"
    assert normalize("П.и.з.д.е.ц") == "пиздец"
    assert "⟦obs⟧" in ngram_text("Е6ать вы лицемеры")
    assert "⟦obs⟧" in ngram_text("go f**k yourself")
    assert "⟦obs⟧" not in ngram_text("Спасибо за помощь")


@pytest.mark.parametrize("text", ["", " ", "😀🔥", "<b>x</b><script>alert(1)</script>", "я" * 100_000])
def test_bad_input(text: str) -> None:
    ann = _run([text], ["ru"])[0]
    assert 0.0 <= ann["reply"]["hostility"] <= 1.0


def test_unknown_language_is_judged() -> None:
    ann = _run(["Terrible post"], [None])[0]
    assert "reply" in ann


def test_model_artifact_is_small_and_loads() -> None:
    from envoywatch.analysis.replies import MODEL_PATH

    assert MODEL_PATH.stat().st_size < 5_000_000
    model = load_model()
    assert all(model.heads[h] is not None for h in ("host_ng", "host_emb", "stance_ng", "cold_ng"))


def test_evaluations_are_registered_and_blocks_meet_the_goal() -> None:
    from envoywatch.evaluation import EVALUATIONS, load_builtins

    load_builtins()
    assert "replies" in EVALUATIONS and "blocks" in EVALUATIONS
    report = EVALUATIONS.get("blocks")()
    assert report["dev"]["all"]["f1"] >= 0.95
    assert report["heldout"]["all"]["n"] >= 60


def test_replies_evaluation_fast_path_on_own_data(monkeypatch) -> None:
    import envoywatch.evaluation as ev
    from envoywatch.evaluation.replies import evaluate_replies

    monkeypatch.setattr(ev, "shared_data_dir", lambda: None)
    report = evaluate_replies(fast=True)
    assert set(report["fast"]["own_replies"]) == {"ru", "kk", "en", "zh"}
    assert report["fast"]["own_replies"]["ru"]["hostile"]["n"] >= 90
