"""The simulator's own small web: a search engine and a handful of pages, all on loopback.

- ``GET /search.json?engine=duckduckgo&q=...&kl=...`` (or ``/search``): SerpAPI's answer shape
  (``organic_results`` of ``{position, title, link, snippet}``), the pages ranked by how
  many query words they share (every page is returned, best first, so a search is never
  empty); ``q`` missing is SerpAPI's ``{"error": ...}``.
- ``GET /web/<slug>``: the page as HTML, gzip- or brotli-encoded when the client accepts it;
- ``GET /web/redirect/<slug>``: a 302 to ``/web/<slug>``.

Every request is counted in the served counter given to :func:`add_routes` (the simulator's
``http_requests_total``, by route and status: ``/search.json``, ``/web/{slug}``, ...), so a
test can tell how many provider calls and page fetches reached it.

The pages are the simulator's own text; the farm's web-search tools, web store and page
fetcher are tested and demonstrated against them with no internet.
"""

from __future__ import annotations

import gzip
import html
import re
from collections import Counter
from collections.abc import Awaitable, Callable

import brotli
from aiohttp import web

_WORD = re.compile(r"[a-z0-9]+")

#: Where the handlers count what they served: ``(route, status) -> requests``.
SERVED: web.AppKey[Counter[tuple[str, int]]] = web.AppKey("web_served", Counter)

#: slug -> (title, paragraphs)
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "harbor-lighthouse": (
        "The Harbor Lighthouse of Port Elsin",
        (
            "The Harbor Lighthouse of Port Elsin was lit for the first time in 1874.",
            "Its lamp can be seen 18 nautical miles out to sea.",
        ),
    ),
    "glass-orchard": (
        "Glass Orchard festival",
        (
            "The Glass Orchard festival takes place every April in the town of Merrow.",
            "In 2024 the festival drew 41,000 visitors, a record.",
        ),
    ),
    "copper-river-bridge": (
        "Copper River Bridge",
        (
            "The Copper River Bridge is a suspension bridge with a main span of 612 metres.",
            "It was designed by the engineer Ada Marlowe and opened in 1931.",
        ),
    ),
    "saltmarsh-tea": (
        "Saltmarsh tea",
        (
            "Saltmarsh tea is the most expensive tea grown in the Elsin valley.",
            "One kilogram sold for 9,400 dollars at the 2023 auction.",
        ),
    ),
    "merrow-rovers": (
        "Merrow Rovers football club",
        (
            "The Merrow Rovers won 11 games in the 2024 season.",
            "Their home ground is Orchard Park.",
        ),
    ),
}


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def page_html(slug: str) -> str:
    """The HTML of a page (a script and a style included, for the truncate mode)."""
    title, paragraphs = PAGES[slug]
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>p {{ margin: 0 }}</style>"
        "<script>var tracking = 1;</script></head>"
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>"
    )


def ranked(query: str) -> list[str]:
    """Every slug, the ones sharing most words with ``query`` first (ties by slug)."""
    words = _words(query)

    def score(slug: str) -> int:
        title, paragraphs = PAGES[slug]
        return len(words & _words(" ".join((title, *paragraphs))))

    return sorted(PAGES, key=lambda slug: (-score(slug), slug))


async def search(request: web.Request) -> web.Response:
    """``GET /search.json``: SerpAPI-shaped organic results from the small web."""
    query = request.query.get("q")
    if not query:
        return web.json_response({"error": "Missing query `q` parameter."}, status=400)
    root = f"{request.scheme}://{request.host}"
    results = []
    for position, slug in enumerate(ranked(query), start=1):
        title, paragraphs = PAGES[slug]
        results.append(
            {
                "position": position,
                "title": title,
                "link": f"{root}/web/{slug}",
                "snippet": paragraphs[0],
            }
        )
    return web.json_response(
        {
            "search_metadata": {"status": "Success", "engine": "farm-simulator"},
            "search_parameters": {"q": query, "kl": request.query.get("kl", "wt-wt")},
            "organic_results": results,
        }
    )


async def page(request: web.Request) -> web.Response:
    """``GET /web/<slug>``: the page, compressed as the client accepts."""
    slug = request.match_info["slug"]
    if slug not in PAGES:
        return web.Response(status=404, text="not found")
    body = page_html(slug).encode("utf-8")
    accepted = request.headers.get("Accept-Encoding", "")
    headers = {"Content-Type": "text/html; charset=utf-8"}
    if "br" in accepted:
        body, headers["Content-Encoding"] = brotli.compress(body), "br"
    elif "gzip" in accepted:
        body, headers["Content-Encoding"] = gzip.compress(body, mtime=0), "gzip"
    return web.Response(body=body, headers=headers)


async def redirect(request: web.Request) -> web.Response:
    """``GET /web/redirect/<slug>``: 302 to the page."""
    raise web.HTTPFound(location=f"/web/{request.match_info['slug']}")


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _counted(route: str, handler: Handler) -> Handler:
    """``handler``, counting each request it answers (or raises an HTTP answer for)."""

    async def counted(request: web.Request) -> web.Response:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            request.app[SERVED][(route, exc.status)] += 1
            raise
        request.app[SERVED][(route, response.status)] += 1
        return response

    return counted


def add_routes(app: web.Application, served: Counter[tuple[str, int]] | None = None) -> None:
    """Serve the small web from ``app``, counting requests in ``served`` (None: a new one)."""
    app[SERVED] = Counter() if served is None else served
    routes = {
        "/search.json": search,
        "/search": search,  # SerpAPI answers both paths
        "/web/redirect/{slug}": redirect,
        "/web/{slug}": page,
    }
    for route, handler in routes.items():
        app.router.add_get(route, _counted(route, handler))
