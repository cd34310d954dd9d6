"""Cross-post matching: excerpts, truncated retweets, quoted statements, reposts, chains, and the gold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from envoywatch.evaluation.crossposts import gold_copy_pairs
from envoywatch.events.crossposts import Doc, copied_share, find_clusters, normalise

T0 = datetime(2020, 5, 1, 9, tzinfo=UTC)

MINISTRY = ("The draft resolution on the grain corridor was not adopted today. Unilateral pressure finds no "
            "support in the Council and will fail. We urge all parties to return to dialogue and to respect "
            "the common interest of the international community.")
EXCERPT = "We urge all parties to return to dialogue and to respect the common interest of the international community."
STATEMENT = "Our nation mourns the loss of a great teacher, who opened the doors of science to thousands of girls."


def _doc(i: int, account: str, text: str, hours: float = 0.0) -> Doc:
    return Doc(i, account, "x", "en", T0 + timedelta(hours=hours), text)


def _groups(docs: list[Doc]) -> set[frozenset[int]]:
    return {frozenset([c.origin.id] + [d.id for d, _ in c.copies]) for c in find_clusters(docs)}


def test_an_excerpt_of_a_long_post_is_a_copy():
    docs = [_doc(1, "x:mfa", MINISTRY), _doc(2, "x:spokesman", EXCERPT + " https://t.co/abc", 1),
            _doc(3, "x:other", "The weather in Astana is cold but the tulips are already out in the parks", 2)]
    [c] = find_clusters(docs)
    assert c.origin.id == 1 and [(d.id, k) for d, k in c.copies] == [(2, "near")]


def test_a_retweet_cut_with_an_ellipsis_is_a_copy():
    cut = "RT @mfa: " + MINISTRY[:110].rsplit(" ", 1)[0] + " sup…"
    assert _groups([_doc(1, "x:mfa", MINISTRY), _doc(2, "x:mission", cut, 0.5)]) == {frozenset({1, 2})}


def test_a_statement_quoted_inside_a_longer_post_is_a_copy():
    docs = [_doc(1, "x:ministry", STATEMENT + " #RIP"),
            _doc(2, "x:consulate", f'The flag of our consulate flies at half-mast today. "{STATEMENT}"', 30),
            _doc(3, "x:embassy", f'Our embassy joins the ministry: "{STATEMENT}" https://t.co/x', 40)]
    assert _groups(docs) == {frozenset({1, 2, 3})}


def test_one_accounts_own_repeat_does_not_chain_two_messages():
    other = ("Tomorrow the embassy opens its doors for a festival of national cuisine, with music, dancing "
             "and a film programme for children and families from noon.")
    docs = [_doc(1, "x:mfa", MINISTRY),
            _doc(2, "x:mfa", EXCERPT + " " + other, 5),  # the ministry quotes itself inside a new message
            _doc(3, "x:embassy", other, 6)]
    assert _groups(docs) == {frozenset({2, 3})}


def test_a_template_weeks_apart_is_not_a_copy():
    tpl = ("On {d} the Republic of {c} marks its national day. We congratulate the people of {c} on the holiday "
           "and wish them peace and prosperity.")
    docs = [_doc(1, "x:mfa", tpl.format(d="3 August", c="Niger")),
            _doc(2, "x:embassy", tpl.format(d="24 September", c="Guinea-Bissau"), 24 * 52)]
    assert find_clusters(docs) == []


def test_a_short_meeting_note_months_later_is_another_meeting():
    docs = [_doc(1, "telegram:embassy", "The ambassador met the akim of the Turkestan region. They discussed transit."),
            _doc(2, "x:ambassador", "Met the akim of the Turkestan region. We discussed transit. https://t.co/q", 24 * 90)]
    assert find_clusters(docs) == []


def test_an_edited_repost_two_months_later_is_a_copy():
    a = ("Countries around the world have joined in condemning the new security law, which erodes the "
         "autonomy of the city and limits the freedoms of its people.")
    b = ("Countries around the world have joined the United States in condemning the new security law, which "
         "erodes the autonomy of the city and limits the freedoms of its people. Read more")
    assert _groups([_doc(1, "x:a", a), _doc(2, "x:b", b, 24 * 60)]) == {frozenset({1, 2})}


def test_short_and_bad_texts_do_not_break_matching():
    bad = ["", "🙂🙂🙂", "<script>alert(1)</script>", "x " * 50_000, "&amp;" * 1000, "Thank you!", "Thank you!"]
    docs = [_doc(i, f"x:a{i}", t, i) for i, t in enumerate(bad)]
    assert find_clusters(docs) == []
    assert copied_share([], []) == 0.0 and normalise("   ") == ""


def test_gold_counts_truncated_retweets_and_excerpts_but_not_templates():
    tpl = "On {d} the Republic of {c} marks its national day. We congratulate the people of {c} on the holiday."
    texts = [MINISTRY, EXCERPT, "RT @mfa: " + MINISTRY[:120] + "…",
             tpl.format(d="3 August", c="Niger"), tpl.format(d="24 September", c="Guinea-Bissau")]
    authors = ["mfa", "spokesman", "mission", "mfa", "embassy"]
    times = [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2), T0, T0 + timedelta(days=52)]
    assert gold_copy_pairs(texts, authors, times) == {(0, 1), (0, 2), (1, 2)}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["train_t1_en.json", "train_t1_es.json"])
def test_dipromats_copies_meet_the_goal(shared_data, name):
    from envoywatch.evaluation.crossposts import evaluate_dipromats

    r = evaluate_dipromats(shared_data / "dipromats2023" / name)
    assert r["gold_messages"] > 140 and r["precision"] >= 0.95 and r["recall"] >= 0.95
    assert len(r["false_pairs"]) <= 5 and all(len(p) == 2 for p in r["false_pairs"])
