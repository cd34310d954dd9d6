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
