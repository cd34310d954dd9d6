"""`envoywatch eval` passes key=value options through and refuses ones an evaluation does not take."""

from __future__ import annotations

from typer.testing import CliRunner

from envoywatch.cli import app
from envoywatch.cli.analysis import parse_options

runner = CliRunner()


def test_options_become_python_values():
    assert parse_options(["fast=true", "show_errors=False", "k=5", "path=/tmp/x.jsonl"]) == {
        "fast": True, "show_errors": False, "k": 5, "path": "/tmp/x.jsonl"}


def test_an_option_the_evaluation_does_not_take_is_refused_by_name():
    r = runner.invoke(app, ["eval", "targets", "--option", "bogus=1"])
    assert r.exit_code == 2 and "takes no option 'bogus'" in r.output and "show_errors" in r.output


def test_a_malformed_option_is_refused():
    r = runner.invoke(app, ["eval", "targets", "-O", "show_errors"])
    assert r.exit_code == 2 and "key=value" in r.output
