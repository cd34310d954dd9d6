"""Documentation is tested: every command has help, and the command reference matches the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import typer

from envoywatch.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _gen():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts" / "gen_cli_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_walk_reaches_every_command():
    gen = _gen()
    paths = {" ".join(p) for p, _ in gen.walk(typer.main.get_command(app), ["envoywatch"])}
    assert {"envoywatch ingest", "envoywatch story", "envoywatch accounts add", "envoywatch eval"} <= paths


def test_every_command_has_help_text():
    gen = _gen()
    missing = [" ".join(p) for p, cmd in gen.walk(typer.main.get_command(app), ["envoywatch"])
               if not (cmd.help or "").strip()]
    assert missing == []


def test_every_option_has_help_text():
    gen = _gen()
    bare = [f"{' '.join(p)} {o.name}" for p, cmd in gen.walk(typer.main.get_command(app), ["envoywatch"])
            for o in cmd.params if o.param_type_name == "option" and o.name != "help" and not (o.help or "").strip()]
    assert bare == []


def test_command_reference_is_up_to_date():
    gen = _gen()
    assert (ROOT / "docs" / "cli.md").read_text() == gen.render(), "run: python scripts/gen_cli_docs.py"


def test_readme_shows_the_two_commands_first():
    readme = (ROOT / "README.md").read_text()
    assert readme.index("make demo") < readme.index("## User guide")
    assert "make test" in readme
