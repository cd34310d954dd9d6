"""HTML pages: overview, actor/account, post, events, search, country, exports and the Atom feed."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from envoywatch.web import views
from envoywatch.web.app import render, render_cached
from envoywatch.web.queries import filter_options, known_countries

router = APIRouter(include_in_schema=False)


def _store(request: Request):
    return request.app.state.store


@router.get("/", response_class=HTMLResponse)
def overview(request: Request):
    return render_cached(request, "overview.html", lambda: views.overview(_store(request)))


@router.get("/search", response_class=HTMLResponse)
def search(request: Request):
    store = _store(request)
    cache = request.app.state.cache
    return render_cached(request, "search.html", lambda: {
        "options": cache.get(("filters",), lambda: filter_options(store)),
        **views.posts_page(store, dict(request.query_params))})


@router.get("/actor/{who:path}", response_class=HTMLResponse)
@router.get("/account/{who:path}", response_class=HTMLResponse)
def subject(request: Request, who: str):
    store = _store(request)
    subj = views.find_subject(store, who)
    if subj is None:
        return render(request, "error.html", status_code=404, message="No actor or account by that name.")

    def compute() -> dict:
        data = views.subject_page(store, subj, as_shown=True)  # rendered once per URL by render_cached
        story = data.get("story")  # the template draws a story with a narrative itself; its HTML is the fallback
        fallback = None if isinstance(story, dict) and story.get("narrative") else views.safe_story_html(story)
        return {**data, "story_html": fallback}

    return render_cached(request, "subject.html", compute)


@router.get("/post/{post_id}", response_class=HTMLResponse)
def post(request: Request, post_id: int):
    data = views.post_page(_store(request), post_id)
    if data is None:
        return render(request, "error.html", status_code=404, message="No post with that id.")
    return render(request, "post.html", **data)


@router.get("/events", response_class=HTMLResponse)
def events(request: Request):
    store = _store(request)
    return render_cached(request, "events.html", lambda: {
        "options": request.app.state.cache.get(("filters",), lambda: filter_options(store)),
        **views.events_page(store, dict(request.query_params))})


@router.get("/countries", response_class=HTMLResponse)
def countries(request: Request):
    return render(request, "countries.html", items=known_countries(_store(request)))


@router.get("/country/{code}", response_class=HTMLResponse)
def country(request: Request, code: str):
    return render_cached(request, "country.html", lambda: views.country_page(_store(request), code))


@router.get("/export.{fmt}")
def export(request: Request, fmt: str):
    """The same export as `envoywatch export`, with the search filters as query parameters."""
    from envoywatch.export import FORMATS, MEDIA_TYPES, export_bytes

    if fmt not in FORMATS:
        raise HTTPException(404, "formats: " + ", ".join(FORMATS))
    f = views.post_filter(dict(request.query_params))
    body = export_bytes(_store(request), f, fmt)
    return Response(body, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="envoywatch-posts.{fmt}"'})


@router.get("/alerts.atom")
def alerts_feed(request: Request):
    from envoywatch import alerts

    rules = alerts.load_rules(alerts.config_path(request.app.state))
    xml = alerts.atom_feed(_store(request), rules, base_url=str(request.base_url).rstrip("/"))
    return Response(xml, media_type="application/atom+xml; charset=utf-8")


@router.get("/favicon.ico")
def favicon():
    return Response(status_code=204)
