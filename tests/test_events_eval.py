"""Measured quality of cross-posts and shifts (slow: embeddings and the DIPROMATS files)."""

from __future__ import annotations

import pytest

from envoywatch.evaluation import EVALUATIONS, load_builtins


def test_evaluations_are_registered():
    load_builtins()
    assert "crossposts" in EVALUATIONS and "shifts" in EVALUATIONS


@pytest.mark.slow
def test_translated_copies_are_found():
    from envoywatch.evaluation.crossposts import evaluate_translated

    r = evaluate_translated()
    assert r["posts"] == 120 and r["recall"] >= 0.8 and r["precision"] >= 0.9


@pytest.mark.slow
def test_dipromats_copies(shared_data):
    from envoywatch.evaluation.crossposts import evaluate_dipromats

    r = evaluate_dipromats(shared_data / "dipromats2023" / "train_t1_en.json")
    assert r["gold_texts_by_several_accounts"] > 190
    assert r["post_recall"] >= 0.95 and r["recall"] >= 0.9 and r["precision"] >= 0.88


def test_shift_evaluation_reports_recall_timing_and_false_alarms():
    from envoywatch.events.shifts import evaluate_synthetic

    r = evaluate_synthetic(seed=5, runs=20)
    assert r["recall"] >= 0.9 and r["false_alarm_rate"] <= 0.1 and r["timing_error_days_median"] <= 3
