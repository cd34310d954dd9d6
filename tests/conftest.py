"""Shared fixtures: the shared labelled data (skip when absent) and workspaces on SQLite/PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from envoywatch.evaluation import shared_data_dir

PG_URL = os.environ.get("ENVOYWATCH_TEST_PG")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip("../shared/data is not present")
    return d


def _pg_schema_url(base: str) -> tuple[str, str]:
    """A fresh schema on the test server, so tests never see each other's rows."""
    import sqlalchemy as sa

    schema = "t_" + uuid.uuid4().hex[:12]
    eng = sa.create_engine(base)
    with eng.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    eng.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def _drop_pg_schema(base: str, schema: str) -> None:
    import sqlalchemy as sa

    eng = sa.create_engine(base)
    with eng.begin() as c:
        c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A workspace URL on SQLite, and on the real PostgreSQL server when CI provides one."""
    if request.param == "sqlite":
        yield str(tmp_path / "ws.db")
        return
    if not PG_URL:
        pytest.skip("ENVOYWATCH_TEST_PG is not set (.ci/run starts PostgreSQL and sets it)")
    url, schema = _pg_schema_url(PG_URL)
    yield url
    _drop_pg_schema(PG_URL, schema)


@pytest.fixture
def store(db_url):
    from envoywatch.store import open_store

    s = open_store(db_url)
    yield s
    s.close()
