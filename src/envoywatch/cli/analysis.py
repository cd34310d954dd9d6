"""`envoywatch analyze`, `annotate` and `posts`: judge posts and read them back."""

from __future__ import annotations

import sys
from typing import Annotated

import orjson
import typer

from envoywatch.cli.app import (
    DbOpt,
    JsonOpt,
    app,
    emit,
    emit_lines,
    err,
    fail,
    open_ws,
    progress_bar,
    want_json,
)
from envoywatch.cli.filters import (
    AccountOpt,
    FromOpt,
    KindOpt,
    LangOpt,
    PlatformOpt,
    SearchOpt,
    TargetOpt,
    TechniqueOpt,
    ToOpt,
)


@app.command()
def analyze(
    fast: Annotated[bool, typer.Option(help="No embeddings: n-gram models only, much faster.")] = False,
    dask: Annotated[str | None, typer.Option(help="Run on a Dask cluster: tcp://host:8786 or local:N.")] = None,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Annotate posts not yet annotated (or stale after a model upgrade), then find events."""
    from envoywatch.analyze import analyze as run

    store = open_ws(db)
    if dask:
        from envoywatch.distributed import analyze_on_dask

        summary = analyze_on_dask(store, dask, fast=fast)
        emit(summary) if want_json(json) else err.print(f"annotated {summary['annotated']} posts on {dask}")
        return
    bar = progress_bar(not want_json(json))
    task = bar.add_task("annotating", total=None) if bar else None
    if bar:
        bar.start()
    try:
        result = run(store, fast=fast, progress=(lambda d, t: bar.update(task, completed=d, total=t)) if bar else None)
    finally:
        if bar:
            bar.stop()
    if want_json(json):
        emit(result.summary())
    else:
        ev = ", ".join(f"{v} {k}" for k, v in result.events.items()) or "none"
        err.print(f"annotated {result.annotated} posts; events: {ev}")


def _read_inputs(stream):
    """Yield (line number, PostInput or error message) for each non-blank JSONL line."""
    from envoywatch.analysis.base import PostInput
    from envoywatch.timeutil import as_utc

    for n, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            d = orjson.loads(line)
            if not isinstance(d, dict) or "text" not in d:
                raise ValueError('expected an object with "id" and "text"')
            created = d.get("created_at")
            yield n, PostInput(
                id=str(d.get("id", n)), text=str(d.get("text") or ""), lang=d.get("lang"),
                account=d.get("account"), sender=(d.get("sender") or None), host=(d.get("host") or None),
                created_at=as_utc(created) if created else None,
                in_reply_to=str(d["in_reply_to"]) if d.get("in_reply_to") not in (None, "", False) else None,
                parent_account=d.get("parent_account"))
        except (ValueError, TypeError) as e:
            yield n, f"line {n}: {e}"


@app.command()
def annotate(
    file: Annotated[typer.FileBinaryRead, typer.Argument(help="JSON Lines of posts; '-' for stdin.")] = "-",
    fast: Annotated[bool, typer.Option(help="No embeddings: n-gram models only.")] = False,
    json: JsonOpt = True,
) -> None:
    """Annotate posts from JSON Lines without a workspace; one annotation per line, in order."""
    from envoywatch.analysis import Context, Pipeline

    pipe = Pipeline()
    ctx = Context(fast=fast)
    batch: list = []

    def flush() -> None:
        posts = [p for _, p in batch if not isinstance(p, str)]
        anns = iter(pipe.run(posts, ctx)) if posts else iter(())
        for n, p in batch:
            emit({"line": n, "error": p} if isinstance(p, str) else next(anns))
        batch.clear()

    bad = 0
    for n, item in _read_inputs(file):
        if isinstance(item, str):
            bad += 1
            err.print(f"[yellow]skipped[/] {item}")
        batch.append((n, item))
        if len(batch) >= 256:
            flush()
    flush()
    if bad:
        raise typer.Exit(1)


@app.command()
def posts(
    q: SearchOpt = None,
    account: AccountOpt = None,
    platform: PlatformOpt = None,
    lang: LangOpt = None,
    target: TargetOpt = None,
    technique: TechniqueOpt = None,
    kind: KindOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many posts.")] = 50,
    page: Annotated[int, typer.Option(help="Page number, from 1.")] = 1,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Posts with their annotations, newest first."""
    from envoywatch.queries import PostFilter, list_posts

    f = PostFilter(q=q, account=account, platform=platform, lang=lang, target=target, technique=technique,
                   kind=kind, date_from=date_from, date_to=date_to, page=page, per_page=limit)
    rows, total = list_posts(open_ws(db), f)
    if want_json(json):
        emit_lines(rows)
        return
    from rich.console import Console
    from rich.table import Table

    from envoywatch.queries import COUNT_CAP

    shown = f"{COUNT_CAP:,}+" if total >= COUNT_CAP else f"{total:,}"
    t = Table("id", "date", "account", "lang", "targets", "text", title=f"{shown} posts")
    for r in rows:
        t.add_row(str(r["id"]), (r["created_at"] or "")[:10], r["account"], r["lang"] or "",
                  ",".join(r.get("targets") or []), (r["text"] or "")[:90])
    Console(markup=False).print(t)


@app.command()
def events(
    type: Annotated[str | None, typer.Option("--type", help="crosspost, backlash, block_reports or shift.")] = None,
    account: AccountOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    db: DbOpt = None,
    json: JsonOpt = False,
) -> None:
    """Events in time order, with their evidence posts."""
    from envoywatch.queries import list_events

    rows = list_events(open_ws(db), type=type, account=account, date_from=date_from, date_to=date_to)
    if want_json(json):
        emit_lines(rows)
        return
    for r in rows:
        err.print(f"{(r['start'] or '')[:10]}  {r['type']:<13} {r['account'] or r['actor'] or ''}  {r['summary']}",
                  markup=False, highlight=False)


@app.command("eval")
def eval_(
    name: Annotated[str, typer.Argument(help="Which evaluation: targets, topics, language, dipromats, replies, "
                                        "blocks, crossposts, shifts, or all.")],
    split: Annotated[str | None, typer.Option(help="Data split, where the evaluation has several.")] = None,
    option: Annotated[list[str] | None, typer.Option("--option", "-O", help="Evaluation option as key=value "
                                                     "(e.g. fast=true, show_errors=true); repeatable.")] = None,
    json: JsonOpt = False,
) -> None:
    """Measured quality on labelled data, stating what it was measured on."""
    from envoywatch.evaluation import EVALUATIONS, load_builtins

    load_builtins()
    names = EVALUATIONS.names() if name == "all" else [name]
    options = parse_options(option or [])
    for n in names:
        if n not in EVALUATIONS:
            fail(f"unknown evaluation {n!r}; known: {', '.join(EVALUATIONS.names()) or 'none yet'}")
        kwargs = ({"split": split} if split else {}) | options
        check_options(n, EVALUATIONS.get(n), kwargs)
        report = EVALUATIONS.get(n)(**kwargs)
        if want_json(json):
            emit({"evaluation": n, **report})
        else:
            err.print(f"[bold]{n}[/]")
            sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")


def parse_options(pairs: list[str]) -> dict[str, object]:
    """`key=value` pairs; true/false and integers become Python values, the rest stay strings."""
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--option must look like key=value, got {pair!r}")
        low = value.strip().lower()
        options[key.strip()] = {"true": True, "false": False}.get(low, int(low) if low.isdigit() else value)
    return options


def check_options(name: str, fn, kwargs: dict[str, object]) -> None:
    """Refuse an option the evaluation does not take, naming the ones it does."""
    import inspect

    params = inspect.signature(fn).parameters
    named = [p for p, v in params.items() if v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)]
    unknown = [k for k in kwargs if k not in named]
    if unknown and not (unknown == ["split"] and any(v.kind == v.VAR_KEYWORD for v in params.values())):
        fail(f"evaluation {name!r} takes no option {', '.join(map(repr, unknown))}; "
             f"it takes: {', '.join(named) or 'none'}")
