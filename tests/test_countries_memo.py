"""The countries analyzer re-resolves remembered posts with a new prior exactly as a fresh one would."""

from __future__ import annotations

import copy

from envoywatch.analysis.base import Context, PostInput
from envoywatch.analysis.countries import CountriesAnalyzer, annotate_countries

TEXTS = ["A certain country keeps spreading lies while its own people die from the virus.",
         "Some politicians in a certain superpower smear others; look at all its states burning.",
         "Некоторые западные СМИ снова лгут, а одна страна учит всех демократии. США молчат.",
         "Бір ел өтірік таратып, өз гегемониясын сақтағысы келеді.", "个别国家的政客散布谎言，美国应该先反省自己。",
         "The United States keeps smearing China over Xinjiang.", "", "🙂", "<b>Some media</b> lie about Japan."]
PRIORS = [{}, {"x:a": {"US": 1.0}}, {"x:a": {"JP": 0.7, "US": 0.3}}, {"x:a": {"GB": 0.5}}]


def _run(analyzer: CountriesAnalyzer, priors: dict) -> list[dict]:
    posts = [PostInput(id=str(i), text=t, account="x:a", sender="CN", host="KZ") for i, t in enumerate(TEXTS)]
    anns = [{"id": p.id, "undiplomatic": 0.4 if i % 2 else None} for i, p in enumerate(posts)]
    analyzer.run(posts, anns, Context(fast=True, target_priors=priors))
    return anns


def test_remembered_posts_resolve_like_fresh_ones_under_every_prior() -> None:
    kept = CountriesAnalyzer()
    kept.setup()
    for priors in PRIORS + PRIORS[::-1]:
        fresh = CountriesAnalyzer()
        fresh.setup()
        expected = _run(fresh, priors)
        got = _run(kept, priors)
        assert got == expected
        got[0]["countries"].append({"changed": True})  # what a caller does to a result stays there
        for e in got[1]["countries"]:
            e["evidence"].append("x")
            e["spans"].append([0, 0])
        assert _run(kept, priors) == expected
    assert kept._veiled_memo  # veiled posts were remembered


def test_analyzer_equals_the_library_function() -> None:
    a = CountriesAnalyzer()
    a.setup()
    prior = PRIORS[1]
    for _ in range(2):
        anns = _run(a, prior)
        for ann, text in zip(anns, TEXTS, strict=True):
            countries, _ = annotate_countries(text, "CN", "KZ", prior["x:a"])
            if ann["undiplomatic"] is None:
                assert ann["countries"] == countries
            assert copy.deepcopy(ann["countries"]) == ann["countries"]
