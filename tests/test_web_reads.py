"""The actor page reads its events and their evidence posts once, and shows what separate reads would."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from envoywatch.story.render import VEILED_CITED
from envoywatch.web import views
from envoywatch.web.queries import resolve_subject, subject_events
from envoywatch.web.sample import build_sample


@pytest.fixture
def sample(store):
    return store, build_sample(store, weeks=6)


def _statements(store, run) -> list[str]:
    seen: list[str] = []

    def note(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(store.engine, "before_cursor_execute", note)
    return seen


@pytest.mark.parametrize("as_shown", [False, True], ids=["json", "html"])
def test_actor_page_reads_events_and_evidence_once(sample, as_shown):
    store, ids = sample
    subj = resolve_subject(store, str(ids["actor"]))
    data: dict = {}
    seen = _statements(store, lambda: data.update(views.subject_page(store, subj, as_shown=as_shown)))
    assert data["events"] and data["story"]["events"], "the sample has events to read"
    event_reads = [s for s in seen if "FROM events" in s and "events.evidence" in s]
    evidence_reads = [s for s in seen if "account_pid" in s]  # `evidence_refs`
    assert len(event_reads) == 1, event_reads
    assert len(evidence_reads) == 1, evidence_reads


@pytest.mark.parametrize("as_shown", [False, True], ids=["json", "html"])
def test_actor_page_shows_what_separate_reads_show(sample, as_shown):
    store, ids = sample
    for who in (str(ids["actor"]), "x:chinaembkz"):
        subj = resolve_subject(store, who)
        data = views.subject_page(store, subj, as_shown=as_shown)
        assert data["events"] == subject_events(store, subj, refs=not as_shown)
        name = subj.slug if subj.kind == "account" else subj.actor
        alone = views.story_for(store, name, veiled_posts=VEILED_CITED if as_shown else None)
        assert data["story"] == alone
        assert views.subject_page(store, subj, with_story=False, as_shown=as_shown)["events"] == data["events"]


def test_actor_events_include_an_account_whose_handle_is_the_actors_name(sample):
    """`list_events(account=name)` matches a bare name as a handle on any platform; the actor page too."""
    from datetime import timedelta

    from envoywatch.events.base import Event, save_events
    from envoywatch.queries import list_events
    from envoywatch.web.sample import START, _account

    store, ids = sample
    subj = resolve_subject(store, str(ids["actor"]))
    with store.write() as conn:
        odd = _account(conn, "web", subj.actor.lower(), None, False)
    save_events(store, "odd", [Event("backlash", "odd:backlash", START + timedelta(days=3), None,
                                     account_id=odd, summary="an account named as the actor",
                                     data={}, evidence=[])])
    expected = {e["id"] for n in [subj.actor] + [a["account"] for a in subj.accounts]
                for e in list_events(store, account=n)}
    for as_shown in (False, True):
        found = views.subject_page(store, subj, as_shown=as_shown)["events"]
        assert {e["id"] for e in found} == expected
        assert "an account named as the actor" in {e["summary"] for e in found}
        assert found == subject_events(store, subj, refs=not as_shown)
