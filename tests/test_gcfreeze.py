"""Long jobs and a running server freeze what was alive before them; only the outermost unfreezes."""

from __future__ import annotations

import gc

from envoywatch.gcfreeze import long_lived_frozen


def test_nested_freezes_last_until_the_outermost_ends() -> None:
    gc.unfreeze()
    before = [object() for _ in range(10)]
    with long_lived_frozen():
        outer = gc.get_freeze_count()
        assert outer > 0
        loaded = [[] for _ in range(1000)]  # as models loaded by a job inside a server
        with long_lived_frozen():
            assert gc.get_freeze_count() >= outer + len(loaded)  # the inner entry froze them too
        assert gc.get_freeze_count() > 0  # the inner exit left the server's objects frozen
    assert gc.get_freeze_count() == 0
    assert before and loaded


def test_a_server_collects_young_objects_per_request_sized_batch_and_restores_the_threshold() -> None:
    from envoywatch.gcfreeze import request_sized_collections

    before = gc.get_threshold()
    with request_sized_collections(12_345):
        assert gc.get_threshold() == (12_345, *before[1:])
        cycle: list = []
        cycle.append(cycle)  # cyclic garbage is still collected
        del cycle
        assert gc.collect() >= 1
    assert gc.get_threshold() == before


def test_the_dashboard_sets_the_threshold_for_its_life_only(tmp_path) -> None:
    from fastapi.testclient import TestClient

    from envoywatch.gcfreeze import SERVER_YOUNG_THRESHOLD
    from envoywatch.web.app import create_app

    before = gc.get_threshold()
    with TestClient(create_app(str(tmp_path / "ws.db"))) as client:
        assert client.get("/").status_code == 200
        assert gc.get_threshold()[0] == SERVER_YOUNG_THRESHOLD
    assert gc.get_threshold() == before
