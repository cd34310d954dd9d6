"""The propaganda analyzer: contract, bad input, fast mode, model artifact and its evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from envoywatch.analysis.base import ANALYZERS, Context, PostInput
from envoywatch.analysis.propaganda import TECHNIQUES, PropagandaAnalyzer, undiplomatic_score
from envoywatch.analysis.propaganda_model import MODEL_PATH, PropagandaModel, normalise

HOSTILE = "The hypocrites in Washington lecture the world on democracy while bombing other nations! Shameful lies!"
CALM = "The Ambassador met the Minister of Education today to discuss student exchanges."
KK = "Вашингтон тағы да өзінің шын бет-бейнесін көрсетті: шағын елдерді қорқытатын гегемон."
ZH = "我们两国签署了农业和水资源管理合作协议。"
BAD = ["", "   ", "🙂🙂🔥", "<script>alert(1)</script>", "x" * 100_000, "&amp;&lt;b&gt;" * 50, "\x00\x01"]


def fake_embed(texts):
    """Deterministic unit vectors, so tests need not run the encoder."""
    rng = np.random.default_rng(len(texts))
    v = rng.normal(size=(len(texts), 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def run(texts, fast=False, embed=fake_embed):
    posts = [PostInput(id=str(i), text=t, lang="en") for i, t in enumerate(texts)]
    anns = [{"id": p.id, "lang": "en"} for p in posts]
    a = PropagandaAnalyzer()
    a.setup()
    a.run(posts, anns, Context(embed_fn=embed, fast=fast))
    return anns


def check(ann):
    assert isinstance(ann["propaganda"], bool)
    assert 0.0 <= ann["propaganda_score"] <= 1.0
    assert 0.0 <= ann["undiplomatic"] <= 1.0
    for t in ann["techniques"]:
        assert t["label"] in TECHNIQUES and 0.0 <= t["score"] <= 1.0
    if not ann["propaganda"]:
        assert ann["techniques"] == []


def test_registered_with_contract():
    cls = ANALYZERS.get("propaganda")
    assert cls.requires == ("lang",)
    assert cls.assigns == ("propaganda", "propaganda_score", "techniques", "undiplomatic")


def test_labels_are_the_dipromats_fine_labels():
    assert len(TECHNIQUES) == 13 and len(set(TECHNIQUES)) == 13
    assert "undiplomatic_assertiveness_whataboutism" in TECHNIQUES


def test_model_artifact_loads_without_data():
    assert MODEL_PATH.exists() and MODEL_PATH.stat().st_size < 8_000_000
    m = PropagandaModel.load(MODEL_PATH)
    assert "propaganda" in m.heads and "discrediting" in m.heads
    for h in m.heads.values():
        assert 0 < h.full.threshold < 1 and 0 < h.fast.threshold < 1


@pytest.mark.parametrize("fast", [False, True])
def test_annotations_have_the_contract_fields(fast):
    anns = run([HOSTILE, CALM, KK, ZH], fast=fast)
    for a in anns:
        check(a)


@pytest.mark.parametrize("fast", [False, True])
def test_bad_input_does_not_fail(fast):
    anns = run(BAD, fast=fast)
    for a in anns:
        check(a)
    assert anns[0]["propaganda"] is False and anns[0]["propaganda_score"] == 0.0
    assert anns[2]["propaganda"] is False


def test_hostile_scores_above_calm_in_fast_mode():
    hostile, calm = run([HOSTILE, CALM], fast=True)
    assert hostile["propaganda_score"] > calm["propaganda_score"]
    assert hostile["undiplomatic"] > calm["undiplomatic"]


def test_undiplomatic_definition():
    assert undiplomatic_score(np.float64(0), np.float64(0)) == 0
    assert undiplomatic_score(np.float64(0), np.float64(1)) == pytest.approx(0.5)
    assert undiplomatic_score(np.float64(1), np.float64(0)) == pytest.approx(1.0)


def test_embeddings_come_from_the_shared_context():
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return fake_embed(texts)

    posts = [PostInput(id=str(i), text=t, lang="en") for i, t in enumerate([HOSTILE, CALM])]
    ctx = Context(embed_fn=counting)
    ctx.embeddings(posts)  # another analyzer already asked for them
    anns = [{"id": p.id} for p in posts]
    PropagandaAnalyzer().run(posts, anns, ctx)
    assert calls == [2]


def test_normalise_strips_markup_and_links():
    t = normalise("<b>Hi</b> @someone see https://t.co/x &amp; more")
    assert "<b>" not in t and "https" not in t and "@user" in t and "&" in t


def test_pipeline_with_lang_when_available():
    from envoywatch.analysis.pipeline import Pipeline, load_builtins

    load_builtins()
    if "lang" not in ANALYZERS:
        pytest.skip("the lang analyzer is not there yet")
    out = Pipeline(["lang", "propaganda"]).run([PostInput(id="1", text=HOSTILE)], Context(fast=True))
    check(out[0])


def test_training_registry():
    from envoywatch.training import BUILTIN_MODULES, TRAINERS, load_builtins

    load_builtins()
    assert "propaganda" in BUILTIN_MODULES and "propaganda" in TRAINERS


def test_metric_helpers():
    from envoywatch.evaluation.dipromats import auc, micro_f1

    m = micro_f1([{"a", "b"}, set()], [{"a"}, {"c"}])
    assert m["precision"] == 0.5 and m["recall"] == 0.5
    assert auc(np.array([0.1, 0.9]), np.array([False, True])) == 1.0


def test_fine_label_parsing():
    from envoywatch.training.propaganda_data import fine_label

    assert fine_label("2 discrediting the opponent - fear appeals (destructive)") == "fear_appeals_destructive"
    assert fine_label("2 discrediting the opponent - undiplomatic assertiveness/whataboutism") == (
        "undiplomatic_assertiveness_whataboutism")
    assert fine_label("1 appeal to commonality - ad populum") == "ad_populum"
    assert fine_label("4 appeal to authority - appeal to false authority") == "appeal_to_false_authority"
    assert fine_label("false") is None


def test_dipromats_eval_fast_mode(shared_data):
    from envoywatch.evaluation.dipromats import evaluate

    rep = evaluate(split="devtrain_en", fast=True)
    assert rep["posts"] == 850 and rep["task1"]["support"] == 193
    assert 0 <= rep["task3"]["micro_f1"] <= 1 and "leaderboard" in rep


def test_tfidf_vocabulary_round_trips_through_the_artifact(tmp_path):
    from envoywatch.analysis.propaganda_model import Head, Linear, NgramSpec, Stack, featurise

    texts = [normalise(t) for t in (HOSTILE, CALM, KK, ZH, "lies and more lies")]
    spec = NgramSpec()
    spec.fit("word", texts, 50)
    spec.fit("char", texts, 300)
    lin = {b: Linear(np.linspace(-1, 1, len(spec.terms[b])).astype(np.float32), 0.1) for b in ("word", "char")}
    full = Stack(("word", "char"), np.array([1.0, 0.5]), 0.0, 0.5)
    model = PropagandaModel(spec, {"propaganda": Head(lin, full, Stack(("word",), np.array([1.0]), 0.0, 0.5))})
    model.save(tmp_path / "m.npz")
    back = PropagandaModel.load(tmp_path / "m.npz")
    assert back.spec.terms == spec.terms
    before = featurise(texts, spec, ("word", "char"), True)
    after = featurise(texts + ["never seen words", ""], back.spec, ("word", "char"), True)
    for b in ("word", "char"):
        assert abs(before[b] - after[b][:5]).max() < 1e-6
    p0 = model.heads["propaganda"].prob(before, False)
    p1 = back.heads["propaganda"].prob(after, False)[:5]
    assert np.allclose(p0, p1, atol=1e-2)  # weights ship as float16


def test_russian_posts_use_their_own_embedding_only_cut():
    from envoywatch.analysis.propaganda import decide, load_model

    model = load_model()
    xling = model.meta["emb_only"]
    ru_cut = xling["cuts"]["ru"]
    assert 0.05 <= ru_cut < xling["threshold"] and xling["ru_fit"]["rows"] > 1000
    between = (ru_cut + xling["threshold"]) / 2
    probs = {name: np.array([0.5]) for name in model.heads}
    probs["propaganda_emb_only"] = np.array([between])
    assert decide(model, probs, 0, False, "ru")["propaganda"]
    assert not decide(model, probs, 0, False, "kk")["propaganda"]


def test_language_prior_cut_reweights_to_the_target_prevalence():
    from envoywatch.training.propaganda import language_prior_cut

    rng = np.random.default_rng(0)
    y = rng.random(600) < 0.6
    p = np.clip(0.25 * y + rng.normal(0.3, 0.15, 600), 0, 1)
    groups = np.array([f"a{i // 6}" for i in range(600)])
    native = language_prior_cut(p, y, groups, float(y.mean()))
    rare = language_prior_cut(p, y, groups, 0.2)
    assert rare["cut"] > native["cut"] and 0 < rare["oof_f1"] <= 1


def _same_matrix(a, b) -> bool:
    """Bit for bit: the same shape, dtypes, row pointers, sorted column indices and values."""
    return (a.shape == b.shape and a.dtype == b.dtype and a.indices.dtype == b.indices.dtype
            and a.has_sorted_indices and b.has_sorted_indices and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices) and a.data.tobytes() == b.data.tobytes())


def test_word_ngrams_counted_here_equal_the_vectorizers_own_transform():
    """The committed model's word block, on real diplomats' tweets when present, repeated words,
    hashtags, handles, scripts and empty texts: the same TF-IDF matrix, bit for bit."""
    import json

    from envoywatch.analysis.propaganda import load_model
    from envoywatch.analysis.propaganda_model import NgramSpec, _plain_words
    from envoywatch.evaluation import shared_data_dir

    texts = [HOSTILE, CALM, KK, ZH, *BAD, "lies lies lies and more lies lies", "#StopTheLies @user httpurl lies",
             "the the the", "a", "Lies! LIES? lies."]
    root = shared_data_dir()
    if root is not None and (root / "dipromats2023" / "test_t1_en.json").exists():
        texts += [r["text"] for r in json.loads((root / "dipromats2023" / "test_t1_en.json").read_text("utf-8"))]
    norm = [normalise(t) for t in texts]
    spec = load_model().spec
    fresh = NgramSpec(spec.terms, spec.idf)  # no vectorizer made yet: the way a worker starts
    assert _plain_words(fresh.vectorizer("word"))  # counted here, not by the vectorizer
    assert _same_matrix(fresh.transform("word", norm), fresh.vectorizer("word").transform(norm))
    assert fresh.transform("word", norm).nnz > len(texts)


@pytest.mark.parametrize("ngram", [(1, 1), (1, 3), (2, 3)])
def test_word_counts_follow_the_vectorizers_ngram_range(ngram):
    from envoywatch.analysis.propaganda_model import NgramSpec

    texts = [normalise(t) for t in (HOSTILE, CALM, KK, ZH, "lies and more lies and more lies", "", "one")]
    spec = NgramSpec()
    v = NgramSpec.make("word", min_df=1).set_params(ngram_range=ngram).fit(texts)
    spec._vecs["word"] = v
    assert _same_matrix(spec.transform("word", texts), v.transform(texts))
    spec._vecs["char"] = NgramSpec.make("char", min_df=1).fit(texts)  # not words: the vectorizer's own path
    assert _same_matrix(spec.transform("char", texts), spec._vecs["char"].transform(texts))


def _decide_every_head(model, probs, i, fast, lang=None):
    """`decide` as it was: every technique head read for every post, propaganda or not."""
    from envoywatch.analysis.propaganda import TECHNIQUES, undiplomatic_score

    mode = "fast" if fast else "full"
    score = float(probs["propaganda"][i])
    cut = model.meta.get("propaganda_cuts", {}).get(mode, {}).get(lang or "", model.heads["propaganda"].cut(fast))
    if "propaganda_emb_only" in probs and lang not in model.meta.get("ngram_languages", ()):
        xling = model.meta["emb_only"]
        score, cut = float(probs["propaganda_emb_only"][i]), xling.get("cuts", {}).get(lang, xling["threshold"])
    is_prop = score >= cut
    pre = "ru/" if lang == "ru" and "ru/loaded_language" in probs else ""
    cond = {lab: float(probs[pre + lab][i]) for lab in TECHNIQUES if pre + lab in probs}
    extra = model.meta.get("technique_extra" + ("_ru" if pre else ""), {}).get(mode, 0.5)
    techniques = []
    if is_prop and cond:
        top = max(cond, key=cond.get)
        chosen = [lab for lab, p in cond.items() if p >= extra or lab == top]
        techniques = sorted(({"label": lab, "score": round(score * cond[lab], 3)} for lab in chosen),
                            key=lambda t: -t["score"])
    disc = score * probs[pre + "discrediting"][i] if pre + "discrediting" in probs else score
    loaded = score * cond.get("loaded_language", 0.0)
    return {"propaganda": bool(is_prop), "propaganda_score": round(score, 4), "techniques": techniques,
            "undiplomatic": round(float(undiplomatic_score(disc, loaded)), 4)}


def test_decide_reads_technique_heads_only_for_propaganda_and_decides_as_before():
    import json

    from envoywatch.analysis.propaganda import as_rows, decide, load_model, score_texts
    from envoywatch.evaluation import shared_data_dir

    texts = [HOSTILE, CALM, KK, ZH, *BAD, "Лицемеры в Вашингтоне снова лгут всему миру!"]
    root = shared_data_dir()
    if root is not None and (root / "dipromats2023" / "test_t1_en.json").exists():
        texts += [r["text"] for r in json.loads((root / "dipromats2023" / "test_t1_en.json").read_text("utf-8"))]
    model = load_model()
    props = 0
    for fast in (True, False):
        probs = as_rows(score_texts(model, texts, None if fast else fake_embed(texts)))
        for i in range(len(texts)):
            for lang in ("en", "es", "ru", "kk", None):
                got = decide(model, probs, i, fast, lang)
                assert got == _decide_every_head(model, probs, i, fast, lang)
                props += got["propaganda"]
    assert props > 10
