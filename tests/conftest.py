"""Shared fixtures: the shared labelled data (skip when absent) and workspaces on SQLite/PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from envoywatch.evaluation import shared_data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip("../shared/data is not present")
    return d
