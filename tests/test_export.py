"""`envoywatch export` and the report: spreadsheet-safe CSV, JSON Lines, Parquet, HTML/PDF reports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from envoywatch.cli import app
from envoywatch.export import neutralise
from envoywatch.store import open_store
from envoywatch.web.sample import build_sample

runner = CliRunner()
FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\r=1", "＝1"]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("export") / "ws.db"
    store = open_store(path)
    build_sample(store, weeks=12, replies_per_week=2, xss=True)
    from sqlalchemy import update

    from envoywatch.store.schema import posts

    with store.write() as conn:  # formula payloads as post text
        for i, f in enumerate(FORMULAS, start=1):
            conn.execute(update(posts).where(posts.c.id == i).values(text=f))
    store.close()
    return str(path)


def invoke(db: str, *args: str):
    r = runner.invoke(app, ["--db", db, *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r


def test_neutralise_formula_cells():
    for f in FORMULAS:
        assert neutralise(f).startswith("'")
    assert neutralise("plain text") == "plain text" and neutralise("") == ""


def test_csv_has_bom_and_no_live_formulas(db, tmp_path):
    out = tmp_path / "posts.csv"
    r = invoke(db, "--json", "export", "--format", "csv", "--output", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert json.loads(r.stdout)["rows"] == len(rows) > 100
    for row in rows:
        for v in row.values():
            assert not v.startswith(("=", "+", "-", "@", "\t", "\r", "＝")), v
    texts = {row["text"] for row in rows}
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in texts
    assert any("<script>" in t for t in texts)  # kept as text, not altered


def test_csv_filters_match_posts(db, tmp_path):
    out = tmp_path / "us.csv"
    invoke(db, "export", "--format", "csv", "--target", "US", "--account", "x:chinaembkz", "-o", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows and all("US" in json.loads(r["targets"]) for r in rows)


def test_jsonl_to_stdout_and_parquet(db, tmp_path):
    r = invoke(db, "export", "--format", "jsonl", "--lang", "ru")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines and all(x["lang"] == "ru" for x in lines) and "countries" in lines[0]
    out = tmp_path / "posts.parquet"
    invoke(db, "export", "--format", "parquet", "-o", str(out))
    t = pq.read_table(out)
    assert t.num_rows > 100 and {"text", "targets", "created_at", "hostile"} <= set(t.column_names)
    assert str(t.schema.field("created_at").type).startswith("timestamp")


def test_parquet_needs_a_file_and_bad_format_fails(db):
    assert runner.invoke(app, ["--db", db, "export", "--format", "parquet"]).exit_code == 2
    assert runner.invoke(app, ["--db", db, "export", "--format", "xls", "-o", "x"]).exit_code == 2


def test_empty_export_still_has_a_header(tmp_path):
    db = str(tmp_path / "empty.db")
    out = tmp_path / "e.csv"
    invoke(db, "export", "--format", "csv", "-o", str(out))
    assert out.read_text(encoding="utf-8-sig").startswith("id,platform")
    invoke(db, "export", "--format", "parquet", "-o", str(tmp_path / "e.parquet"))
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0


def test_html_report_is_self_contained_and_escaped(db, tmp_path):
    out = tmp_path / "report.html"
    r = invoke(db, "--json", "report", "Embassy of China in Kazakhstan", "--html", "-o", str(out))
    info = json.loads(r.stdout)
    html = out.read_text(encoding="utf-8")
    assert info["charts"] >= 5 and html.count("data:image/svg+xml;base64,") == info["charts"]
    assert "<script" not in html and "http://" not in html.split("<body>")[0]
    assert "Content-Security-Policy" in html and "Evidence appendix" in html
    assert "&lt;script&gt;window.__xss=1" in html  # hostile evidence shown as text


def test_report_unknown_actor_is_a_clear_error(db, tmp_path):
    r = runner.invoke(app, ["--db", db, "report", "Nobody", "-o", str(tmp_path / "x.html")])
    assert r.exit_code == 2 and "no actor or account" in r.output


@pytest.mark.browser
def test_pdf_report(db, tmp_path):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs /usr/bin/chromium")
    out = tmp_path / "report.pdf"
    invoke(db, "report", "1", "--pdf", "-o", str(out))
    assert out.read_bytes()[:5] == b"%PDF-" and out.stat().st_size > 20_000
