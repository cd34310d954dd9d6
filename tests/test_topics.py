"""Topics from the fixed taxonomy: keyword path, embedding path, discovery, eval figures."""

from __future__ import annotations

import numpy as np
import pytest

from envoywatch.analysis.base import Context, PostInput
from envoywatch.analysis.topics import (
    TopicsAnalyzer,
    default_head,
    discover_topics,
    predict_topics,
    taxonomy,
)

TAXONOMY = {
    "bilateral_cooperation", "trade_investment_bri", "covid19_health", "human_rights",
    "xinjiang_tibet_hk_taiwan", "security_military", "media_disinformation", "history_commemoration",
    "culture_education", "consular_visa", "international_organisations",
}


def test_taxonomy_has_the_required_topics_and_examples_in_four_languages() -> None:
    tax = taxonomy()
    assert set(tax.ids) == TAXONOMY
    assert all(tax.definitions[t] for t in tax.ids)
    for i in range(len(tax.ids)):
        assert {lang for _, lang, j in tax.examples if j == i} == {"en", "ru", "kk", "zh"}


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Visa applications are accepted by appointment only.", "consular_visa"),
        ("Заявления на визу принимаются по записи.", "consular_visa"),
        ("Вакцина мен бетперде жіберілді.", "covid19_health"),
        ("中方坚决反对美方对台军售。", "xinjiang_tibet_hk_taiwan"),
    ],
)
def test_keyword_path_when_fast(text: str, topic: str) -> None:
    assert topic in predict_topics([text], [None], fast=True)[0]


def test_analyzer_fast_path_gives_scores_for_every_topic() -> None:
    anns = [{"id": "1", "lang": "en"}, {"id": "2", "lang": "und"}]
    posts = [PostInput("1", "We delivered vaccines to fight the pandemic."), PostInput("2", "")]
    TopicsAnalyzer().run(posts, anns, Context(fast=True))
    assert "covid19_health" in anns[0]["topics"] and set(anns[0]["topic_scores"]) == TAXONOMY
    assert anns[1]["topics"] == []


def test_embedding_path_uses_the_committed_head() -> None:
    assert default_head() is not None
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(3, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ctx = Context(embed_fn=lambda texts: vecs[: len(texts)])
    posts = [PostInput(str(i), t) for i, t in enumerate(["Visa by appointment only.", "", "😀"])]
    anns = [{"id": p.id, "lang": lang} for p, lang in zip(posts, ["en", "und", "und"], strict=True)]
    TopicsAnalyzer().run(posts, anns, ctx)
    assert all(set(a["topic_scores"]) == TAXONOMY for a in anns)
    assert "consular_visa" in anns[0]["topics"]


def test_discovery_clusters_posts() -> None:
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(2, 384))
    vecs = np.vstack([centres[i % 2] + 0.05 * rng.normal(size=384) for i in range(10)]).astype(np.float32)
    texts = [("visa passport" if i % 2 else "vaccine masks") for i in range(10)]
    clusters = discover_topics(vecs, ["en"] * 10, texts, k=2)
    assert sorted(c["size"] for c in clusters) == [5, 5]
    assert {c["top_terms"][0] for c in clusters} <= {"visa", "passport", "vaccine", "masks"}
    assert discover_topics(np.zeros((0, 384)), [], []) == []


def _regex_scores(texts: list[str]) -> list[list[int]]:
    """The reference: one regex per topic over the lower-cased text, distinct hits counted."""
    tax = taxonomy()
    return [[len({m.group(0).lower() for m in rx.finditer(t.lower())}) for rx in tax.keywords] for t in texts]


def test_keyword_index_finds_what_the_topic_regexes_find() -> None:
    import random

    tax = taxonomy()
    texts = [text for text, _, _ in tax.examples]
    words = [w for t in texts for w in t.split()]
    rng = random.Random(0)
    texts += [" ".join(rng.choices(words, k=rng.randint(1, 30))) for _ in range(400)]
    texts += ["", "🙂" * 5, "<script>alert('visa')</script>", "UN, WHO, SCO; ООН ВОЗ БҰҰ: masks! war? students",
              "Пояс и путь; пояса и пути", "双边合作两国友谊" * 3, "revisit unwar swar", "met with met withdrawn"]
    assert [[len(h) for h in tax.index.hits(t)] for t in texts] == _regex_scores(texts)
