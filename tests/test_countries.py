"""Country mentions, roles, stance, targets and veiled references in kk/ru/en/zh posts."""

from __future__ import annotations

import pytest

from envoywatch.analysis.base import Context, PostInput
from envoywatch.analysis.countries import annotate_countries
from envoywatch.analysis.gazetteer import default_gazetteer
from envoywatch.analysis.pipeline import Pipeline
from envoywatch.analysis.relevance import summarize_targets
from envoywatch.evaluation.targets import eval_targets


def codes(text: str) -> set[str]:
    return {m.code for m in default_gazetteer().find(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Russian cases and multi-word names
        ("Переговоры с Соединёнными Штатами зашли в тупик", {"US"}),
        ("Санкции против Российской Федерации", {"RU"}),
        ("американскими политиками", {"US"}),
        ("визит в Нур-Султане", {"KZ"}),
        # Kazakh suffixes, with and without a hyphen
        ("АҚШ-қа жауап", {"US"}),
        ("Америкаға барды", {"US"}),
        ("Құрама Штаттарына", {"US"}),
        ("Қытайдың ұстанымы", {"CN"}),
        ("Вашингтонға хат", {"US"}),
        # Chinese names, metonyms and two-country abbreviations
        ("美国", {"US"}),
        ("白宫发言人", {"US"}),
        ("中哈友谊", {"CN", "KZ"}),
        # English short forms, metonyms, leaders, flags and hashtags
        ("Washington", {"US"}),
        ("the U.S. and its allies", {"US"}),
        ("a statement from the Kremlin", {"RU"}),
        ("Downing Street said", {"GB"}),
        ("President Tokayev", {"KZ"}),
        ("🇰🇿🤝🇨🇳", {"KZ", "CN"}),
        ("#StandWithUkraine", {"UA"}),
    ],
)
def test_mentions_in_every_language(text: str, expected: set[str]) -> None:
    assert codes(text) == expected


@pytest.mark.parametrize(
    "text",
    ["they told us to wait", "Latin America", "中美洲", "roast turkey", "Того, что было", "Washington Post"],
)
def test_things_that_are_not_the_country(text: str) -> None:
    assert "US" not in codes(text) and "TR" not in codes(text) and "TG" not in codes(text)


@pytest.mark.parametrize("text", ["Наурыз мейрамы құтты болсын!", "С праздником Наурыз!", "Наурызбен құттықтаймыз",
                                  "22 наурыз күні", "Наурыз айының 22-сі"])
def test_nauryz_the_spring_holiday_and_kazakh_march_is_not_nauru(text: str) -> None:
    assert codes(text) == set()
    assert codes(text + " Науру") == {"NR"}


def test_mentions_keep_span_and_surface() -> None:
    text = "Вчера Соединёнными Штатами было заявлено"
    (m,) = default_gazetteer().find(text)
    assert text[m.start : m.end] == m.surface == "Соединёнными Штатами"
    assert (m.start, m.code) == (6, "US")


def test_roles_from_the_account_registry() -> None:
    countries, _ = annotate_countries("Kazakhstan and China signed a trade agreement.", "CN", "KZ")
    roles = {c["code"]: c["role"] for c in countries}
    assert roles == {"KZ": "host", "CN": "sender"}


def test_friendly_post_about_the_host_has_no_targets() -> None:
    _, targets = annotate_countries(
        "The two countries signed a trade agreement in Nur-Sultan; Kazakhstan is a good partner.", "CN", "KZ"
    )
    assert targets == []


def test_condemning_one_country_while_praising_another() -> None:
    countries, targets = annotate_countries(
        "We condemn the reckless sanctions of the United States and praise China's constructive role.",
        "RU",
        "KZ",
    )
    assert targets == ["US"]
    assert {c["code"]: c["stance"] for c in countries}["CN"] == "friendly"


@pytest.mark.parametrize(
    ("text", "sender", "target"),
    [
        ("美国政客抹黑中国，我们坚决反对。", "CN", "US"),
        ("АҚШ саясаткерлері Шыңжаң туралы өтірік таратуды доғаруы керек.", "CN", "US"),
        ("Кремль продолжает преследовать независимых журналистов.", "US", "RU"),
        ("The UK condemns Russia's unprovoked invasion of Ukraine.", "GB", "RU"),
    ],
)
def test_targets_per_language(text: str, sender: str, target: str) -> None:
    assert annotate_countries(text, sender, "KZ")[1] == [target]


@pytest.mark.parametrize(
    ("text", "code", "clue"),
    [
        ("A certain country with the virus in all its states blames others.", "US", "all its states"),
        ("某国将福岛核污水排入大海。", "JP", "nuclear wastewater into the sea"),
        ("Одна страна, вышедшая из Евросоюза, вмешивается в дела Гонконга.", "GB", "left the European Union"),
        ("Белгілі бір ел «Қытай вирусы» деп атайды.", "US", '"Chinese virus"'),
    ],
)
def test_veiled_references_resolve_with_clues(text: str, code: str, clue: str) -> None:
    countries, targets = annotate_countries(text, "CN", "KZ")
    (veiled,) = [c for c in countries if c["veiled"]]
    assert veiled["code"] == code and veiled["stance"] == "hostile"
    assert f"clue: {clue}" in veiled["evidence"] and 0 < veiled["confidence"] < 1
    assert code in targets


def test_veiled_without_clues_is_unknown_and_not_a_target() -> None:
    countries, targets = annotate_countries("个别国家滥用国家安全概念，无理打压中国企业。", "CN", "KZ")
    (veiled,) = [c for c in countries if c["veiled"]]
    assert veiled["code"] is None and targets == []


def test_account_prior_helps_only_with_a_clue() -> None:
    prior = {"US": 0.7}
    weak = annotate_countries("Бір ел өтірік таратып, өз гегемониясын сақтағысы келеді.", "CN", "KZ", prior)
    bare = annotate_countries("Бір ел өтірік таратып жүр.", "CN", "KZ", prior)
    assert weak[1] == ["US"]
    assert bare[1] == [] and [c["code"] for c in bare[0] if c["veiled"]] == [None]


def test_one_country_two_systems_is_not_veiled() -> None:
    countries, _ = annotate_countries("一国两制是香港长期繁荣稳定的保障。", "CN", "KZ")
    assert not any(c["veiled"] for c in countries)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀🎉🔥", "<script>alert('USA')</script><b>Россия</b>" * 200, "США 美国 Kazakhstan Қазақстан " * 4000,
     "\x00\ufffd\u202e", "#" * 5000],
)
def test_bad_input_never_fails(text: str) -> None:
    countries, targets = annotate_countries(text, "CN", "KZ")
    assert isinstance(countries, list) and isinstance(targets, list)
    assert all(len(c["spans"]) <= 50 for c in countries)


def test_analyzer_in_the_pipeline_with_priors() -> None:
    pipe = Pipeline(["lang", "propaganda", "countries"])
    ctx = Context(fast=True, target_priors={"x:emb": {"US": 0.8}})
    posts = [
        PostInput("1", "Бір ел өтірік таратып, өз гегемониясын сақтағысы келеді.", account="x:emb", sender="CN", host="KZ"),
        PostInput("2", "", sender="CN", host="KZ"),
    ]
    a, b = pipe.run(posts, ctx)
    assert a["lang"] == "kk" and a["targets"] == ["US"] and a["countries"][0]["veiled"]
    assert (b["lang"], b["countries"], b["targets"]) == ("und", [], [])


def test_an_undiplomatic_tone_makes_a_named_third_country_a_target() -> None:
    from envoywatch.analysis.countries import targets_by_tone

    text = "Детей разлучали с родителями на границе США. И эта страна учит других правам человека?"
    countries, _ = annotate_countries(text, "CN", "KZ")
    _, calm = targets_by_tone([dict(c) for c in countries], 0.05)
    _, sharp = targets_by_tone([dict(c) for c in countries], 0.8)
    assert "US" in sharp and set(calm) <= set(sharp)
    host = annotate_countries("Казахстан и Китай подписали соглашение.", "CN", "KZ")[0]
    assert targets_by_tone(host, 0.9)[1] == []  # the host and the sender never become targets by tone


def test_summarize_targets_gives_host_relevance() -> None:
    items = [
        {"id": "1", "created_at": "2020-04-01T00:00:00Z", "targets": ["US"],
         "countries": [{"code": "US", "stance": "hostile", "veiled": True}]},
        {"id": "2", "created_at": "2020-04-02T00:00:00", "targets": [],
         "countries": [{"code": "KZ", "stance": "friendly", "veiled": False}]},
        {"id": "3", "created_at": None, "targets": [], "countries": [{"code": "CN"}]},
        {"id": "4", "created_at": "2020-05-01T00:00:00+00:00", "targets": ["US"], "countries": [{"code": "US"}]},
    ]
    s = summarize_targets(items, sender="CN", host="KZ")
    assert s["posts"] == 4 and s["target_share"] == {"US": 0.5}
    assert s["host_relevance"]["host_share"] == 0.25
    assert s["host_relevance"]["host_or_sender_share"] == 0.5
    assert s["host_relevance"]["third_country_target_share"] == 0.5
    assert s["top_targets"][0] == {"code": "US", "posts": 2, "share": 0.5, "examples": ["4", "1"]}
    assert summarize_targets([])["posts"] == 0


def test_eval_targets_meets_the_goals_on_the_test_split() -> None:
    report = eval_targets(split="test")["test"]
    assert report["posts"] >= 75
    assert report["targets_exact_match"] >= 0.90
    assert report["veiled_resolved"] >= 0.85


def test_clue_anchors_never_hide_a_matching_clue() -> None:
    """The anchor prefilter of veiled-reference clues only skips clues that cannot match."""
    from envoywatch.analysis.gazetteer import normalise
    from envoywatch.analysis.patterns import lower_keep_len
    from envoywatch.analysis.veiled import _clue_index, _data, clue_anchors

    assert clue_anchors("(a|bc)d") is None and clue_anchors("(richest|strongest) nation") == ["richest", "strongest"]
    texts = ["All its 50 states are burning", "Wall Street and the Dow Jones", "биржевые спекулянты", "华尔街的股市",
             "the richest country in the world", "Fukushima wastewater dumped into the ocean", "", "🙂",
             "The world's largest economy with the most covid cases", "left the European Union", "BBC and NED"]
    clues, index = _data()[1], _clue_index()
    for text in texts:
        low = lower_keep_len(normalise(text))
        assert {i for i, c in enumerate(clues) if c.rx.search(low)} <= set(index.candidates(low))
