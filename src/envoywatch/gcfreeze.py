"""Long jobs and a running server keep what was alive before them out of garbage collection."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0  # nesting of long_lived_frozen (a server's lifetime, an analysis job inside it): the outermost
_lock = threading.Lock()  # unfreezes


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Freeze the objects alive now (models, gazetteers, data) so collections skip them.

    A full collection walks every tracked object, some 140,000-170,000 once the models are loaded:
    about 0.1 s each time, the time fast annotation takes for 200 posts, and what made an export of
    20,000 posts cost 16% more a row than one of 2,000 in the same process. Objects made inside are
    collected as usual.
    """
    global _depth
    with _lock:
        gc.freeze()  # also when nested: an analysis run in a server freezes the models it just loaded
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()


SERVER_YOUNG_THRESHOLD = 50_000


@contextmanager
def request_sized_collections(young: int = SERVER_YOUNG_THRESHOLD) -> Iterator[None]:
    """Collect the youngest generation after `young` net allocations instead of 700, for a server's life.

    A page of the busiest actor makes some 100,000 short-lived objects; with the default threshold
    each request ran about 35 young and 3 middle collections, promoted its data to the old generation
    on the way and now and then paid for a full collection (10 ms a request on average, up to 40 ms
    in one). With this threshold a request's objects are freed by reference counting before a
    collection comes; cyclic garbage still goes after at most `young` allocations.
    """
    old = gc.get_threshold()
    gc.set_threshold(young, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
