"""The JSON API under /api/: everything the pages show; writes need a bearer token."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response

from envoywatch.timeutil import iso, utcnow
from envoywatch.web import views
from envoywatch.web.app import cached_json, json_bytes, json_response
from envoywatch.web.queries import filter_options, known_countries, watched_actors
from envoywatch.web.security import require_token

router = APIRouter(prefix="/api", tags=["api"])
Q = Annotated[str | None, Query()]


def _store(request: Request):
    return request.app.state.store


@router.get("/posts", summary="Posts with their annotations, newest first, paginated")
def api_posts(request: Request, q: Q = None, account: Q = None, actor: Q = None, platform: Q = None,
              lang: Q = None, target: Q = None, technique: Q = None, kind: Q = None,
              from_: Annotated[str | None, Query(alias="from")] = None,
              to: Q = None, page: int = 1, per_page: Annotated[int, Query(le=500, ge=1)] = 50) -> dict[str, Any]:
    return cached_json(request, ("api-posts", request.url.query),
                       lambda: views.posts_page(_store(request), dict(request.query_params)))


@router.get("/posts/{post_id}", summary="One post with its replies, parent and cross-post clusters")
def api_post(request: Request, post_id: int) -> dict[str, Any]:
    data = views.post_page(_store(request), post_id)
    if data is None:
        raise HTTPException(404, "no such post")
    return data


@router.get("/events", summary="Events (crosspost, backlash, block_reports, shift) with evidence, paginated")
def api_events(request: Request, type: Q = None, account: Q = None,
               from_: Annotated[str | None, Query(alias="from")] = None, to: Q = None,
               page: int = 1, per_page: Annotated[int, Query(le=500, ge=1)] = 50) -> dict[str, Any]:
    return cached_json(request, ("api-events", request.url.query),
                       lambda: views.events_page(_store(request), dict(request.query_params)))


@router.get("/actors", summary="Watched actors with post counts and weekly activity")
def api_actors(request: Request) -> dict[str, Any]:
    store = _store(request)  # counted and encoded once per workspace state: the counts read every post's index entry

    def body() -> dict[str, Any]:
        items = watched_actors(store)
        return {"items": items, "page": 1, "per_page": len(items), "total": len(items)}

    return cached_json(request, ("actors",), body)


@router.get("/actors/{who:path}", summary="An actor or account: weekly series, host relevance, events, charts")
def api_subject(request: Request, who: str) -> dict[str, Any]:
    store = _store(request)
    subj = views.find_subject(store, who)
    if subj is None:
        raise HTTPException(404, "no such actor or account")
    return cached_json(request, ("api-subject", subj.slug, request.url.query), lambda: views.subject_page(store, subj))


@router.get("/story/{who:path}", summary="The story of an actor or account")
def api_story(request: Request, who: str, from_: Annotated[str | None, Query(alias="from")] = None,
              to: Q = None) -> dict[str, Any]:
    from envoywatch.web.queries import parse_day

    store = _store(request)
    subj = views.find_subject(store, who)
    if subj is None:
        raise HTTPException(404, "no such actor or account")
    who_, start, end = subj.slug if subj.kind == "account" else subj.actor, parse_day(from_), parse_day(to)
    def encoded() -> bytes | None:  # the busiest actor's story is large: encode it once, not per request
        built = views.story_for(store, who_, start, end)
        return None if built is None else json_bytes(built)

    try:  # cached per URL until the workspace changes, as the actor page is
        story = request.app.state.cache.get(("story", request.url.path, request.url.query), encoded)
    except LookupError as e:
        raise HTTPException(404, str(e)) from None
    except Exception as e:  # noqa: BLE001  (the story module is separate; say what failed)
        raise HTTPException(500, f"the story could not be built: {type(e).__name__}: {e}") from None
    if story is None:
        raise HTTPException(501, "the story is not available yet in this version (envoywatch.story)")
    return Response(story, media_type="application/json")


@router.get("/countries", summary="Countries targeted by watched accounts")
def api_countries(request: Request) -> dict[str, Any]:
    items = known_countries(_store(request))
    return {"items": items, "page": 1, "per_page": len(items), "total": len(items)}


@router.get("/countries/{code}", summary="Who targets this country, how often, since when")
def api_country(request: Request, code: str) -> dict[str, Any]:
    return cached_json(request, ("api-country", code.upper()[:2]), lambda: views.country_page(_store(request), code))


@router.get("/filters", summary="Values for the search filters")
def api_filters(request: Request) -> dict[str, Any]:
    return filter_options(_store(request))


@router.post("/accounts", dependencies=[Depends(require_token)], status_code=201,
             summary="Add a watched account to the registry (token required)")
def api_add_account(request: Request, row: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    from envoywatch.accounts import RegistryError, upsert, validate

    try:
        entry = validate(row, "request")
    except RegistryError as e:
        raise HTTPException(422, str(e)) from None
    with _store(request).write() as conn:
        return upsert(conn, [entry])


@router.get("/alerts/rules", summary="Alert rules of this dashboard")
def api_rules(request: Request) -> dict[str, Any]:
    from envoywatch import alerts

    items = [r.as_dict() for r in alerts.load_rules(alerts.config_path(request.app.state))]
    return {"items": items, "total": len(items)}


@router.post("/alerts/rules", dependencies=[Depends(require_token)], status_code=201,
             summary="Add or replace an alert rule (token required)")
def api_add_rule(request: Request, rule: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    from envoywatch import alerts

    try:
        r = alerts.Rule.from_dict(rule)
    except (ValueError, TypeError, KeyError) as e:
        raise HTTPException(422, str(e)) from None
    path = alerts.config_path(request.app.state)
    alerts.save_rules(path, [x for x in alerts.load_rules(path) if x.name != r.name] + [r])
    return r.as_dict()


@router.delete("/alerts/rules/{name}", dependencies=[Depends(require_token)],
               summary="Delete an alert rule (token required)")
def api_delete_rule(request: Request, name: str) -> dict[str, Any]:
    from envoywatch import alerts

    path = alerts.config_path(request.app.state)
    rules = alerts.load_rules(path)
    keep = [r for r in rules if r.name != name]
    if len(keep) == len(rules):
        raise HTTPException(404, "no such rule")
    alerts.save_rules(path, keep)
    return {"deleted": name}


_jobs_lock = threading.Lock()


def _start_job(request: Request, name: str, work) -> dict[str, Any]:
    """Run `work()` in a background thread, one job of each name at a time; status at /api/jobs."""
    jobs = request.app.state.jobs
    with _jobs_lock:
        if jobs.get(name, {}).get("state") == "running":
            return {"started": False, "reason": f"{name} is already running", **jobs[name]}
        jobs[name] = {"state": "running", "started_at": iso(utcnow())}

    def run() -> None:
        try:
            result = work()
            jobs[name] = {**jobs[name], "state": "done", "result": result}
        except Exception as e:  # noqa: BLE001  (reported through /api/jobs)
            jobs[name] = {**jobs[name], "state": "failed", "error": f"{type(e).__name__}: {e}"}
        jobs[name]["finished_at"] = iso(utcnow())

    threading.Thread(target=run, name=f"envoywatch-{name}", daemon=True).start()
    return {"started": True, **jobs[name]}


@router.post("/analyze", dependencies=[Depends(require_token)], status_code=202,
             summary="Start analysing posts not yet annotated, then find events (token required)")
def api_analyze(request: Request, fast: bool = True) -> dict[str, Any]:
    store = _store(request)

    def work():
        from envoywatch.analyze import analyze

        return analyze(store, fast=fast).summary()

    return _start_job(request, "analyze", work)


@router.post("/collect", dependencies=[Depends(require_token)], status_code=202,
             summary="Start collecting the watched accounts once (token required)")
def api_collect(request: Request, platform: Q = None, account: Q = None, max_pages: int = 20) -> dict[str, Any]:
    store = _store(request)

    def work():
        from envoywatch.collect.runner import RunOptions, run_once

        return run_once(store, RunOptions(platform=platform, account=account, max_pages=max_pages)).as_dict()

    return _start_job(request, "collect", work)


@router.get("/jobs", summary="State of the analysis and collection jobs started through the API")
def api_jobs(request: Request) -> dict[str, Any]:
    return dict(request.app.state.jobs)
