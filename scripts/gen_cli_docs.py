"""Write docs/cli.md from the envoywatch command tree, so the reference always matches the code.

Usage: python scripts/gen_cli_docs.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from envoywatch.cli import app

OUT = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def walk(cmd, path: list[str]):
    """Every command under `cmd` with its path, depth first, sub-commands in name order."""
    yield path, cmd
    # Typer ships its own copy of click, so test for a group by shape rather than by class.
    commands = getattr(cmd, "commands", None)
    if commands:
        for name in sorted(commands):
            yield from walk(commands[name], [*path, name])


def option_line(p) -> str:
    if p.param_type_name == "argument":
        help_ = " ".join((getattr(p, "help", None) or "").split())
        return f"- `{p.name.upper()}` (argument)" + (f": {help_}" if help_ else "")
    names = ", ".join(f"`{o}`" for o in p.opts + p.secondary_opts)
    help_ = " ".join((getattr(p, "help", None) or "").split())
    default = getattr(p, "default", None)
    show = default not in (None, False, (), []) and not callable(default)
    return f"- {names}: {help_}" + (f" (default: `{default}`)" if show else "")


def render() -> str:
    root = typer.main.get_command(app)
    lines = ["# Command reference", "",
             "Generated from the code by `scripts/gen_cli_docs.py`; the user guide is in the README.", ""]
    for path, cmd in walk(root, ["envoywatch"]):
        lines += [f"## `{' '.join(path)}`", "", " ".join((cmd.help or "").split()), ""]
        params = [p for p in cmd.params if p.name != "help"]
        lines += [option_line(p) for p in params]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if OUT.exists() and OUT.read_text() == text else 1)
    OUT.write_text(text)
    print(f"wrote {OUT}")
