"""The reply model's hashed n-grams must stay the features sklearn's HashingVectorizer makes:
the shipped model was trained on those columns."""

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from envoywatch.analysis.replies import N_FEATURES, hashed_counts, ngram_text

TEXTS = [
    "You blocked me for asking a question!",
    "Позор посольству, вы лжёте", "Елшілік неге үндемейді?", "大使馆又在撒谎了",
    "a", "", "  spaced   out  ", "🙄🙄 #shame @embassy https://x.example/1",
    "<script>alert(1)</script> &amp; co", "x" * 500,
]


def test_hashed_counts_equal_sklearn_char_wb():
    texts = [ngram_text(t) for t in TEXTS]
    ref = HashingVectorizer(analyzer="char_wb", ngram_range=(1, 4), n_features=N_FEATURES,
                            alternate_sign=False, norm=None, lowercase=False).transform(texts)
    ours = hashed_counts(texts)
    assert ours.shape == ref.shape
    assert np.array_equal(ours.toarray(), ref.toarray())
