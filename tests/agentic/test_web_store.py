"""Web store modes (record, replay, live), providers by name, the tools' outputs; the
simulator's small web on loopback is the internet here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from farm.agentic.web.fetch import PageFetcher
from farm.agentic.web.guard import AddressPolicy
from farm.agentic.web.providers import SearchAnswer, get_provider, provider_names
from farm.agentic.web.providers.serpapi import NO_RESULTS, SerpApiProvider
from farm.agentic.web.service import WebCounters, WebService
from farm.agentic.web.settings import WebSettings
from farm.agentic.web.store import WebStore
from farm.agentic.web.tools import WebSearchAPI
from farm.db.engine import make_engine, session_scope
from farm.db.migrate import upgrade
from farm.db.models import WebPage, WebSearch
from farm.errors import ConfigError
from farm.simulator.server import SimulatorConfig, running_simulator
from tests.agentic.webfixtures import LoopbackOnlyConnector, awkward_server
from tests.agentic.webfixtures import test_resolver as resolver


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def sim_root() -> Iterator[str]:
    with running_simulator([], SimulatorConfig()) as sim:
        yield sim.base_url.removesuffix("/v1")


class Counting:
    """A provider wrapper counting calls."""

    def __init__(self, inner: SerpApiProvider) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0

    def search(self, query: str, region: str) -> SearchAnswer:
        self.calls += 1
        return self.inner.search(query, region)


def make_service(mode, sim_root: str, engine: Engine | None, connector=None):
    provider = Counting(get_provider("farm-simulator", WebSettings(simulator_url=sim_root)))  # type: ignore[arg-type]
    fetch = PageFetcher(
        AddressPolicy.from_text("127.0.0.1/32"),
        resolver=resolver,
        connector=connector or LoopbackOnlyConnector(),
    )
    store = None if engine is None else WebStore(engine)
    if mode == "replay":
        replay = WebService(
            mode, provider=None, fetcher=None, store=store, provider_name="farm-simulator"
        )
        return replay, provider
    return WebService(mode, provider=provider, fetcher=fetch, store=store), provider


def session(tools: WebSearchAPI, root: str) -> list[object]:
    """A fixed sequence of tool calls, as a model would make them."""
    return [
        tools.search_engine_query("copper river bridge span", max_results=2),
        tools.search_engine_query("merrow rovers 2024", region="uk-en"),
        tools.fetch_url_content(f"{root}/web/copper-river-bridge", mode="truncate"),
        tools.fetch_url_content(f"{root}/web/saltmarsh-tea", mode="markdown"),
        tools.fetch_url_content(f"{root}/web/no-such-page"),
        tools.fetch_url_content(f"{root}/web/saltmarsh-tea", mode="pdf"),
    ]


def test_record_then_replay_gives_the_same_tool_results_with_no_provider_call(
    engine: Engine, sim_root: str
) -> None:
    recording, provider = make_service("record", sim_root, engine)
    recorded = session(WebSearchAPI(recording), sim_root)
    assert provider.calls == 2
    hits = recorded[0]
    assert isinstance(hits, list) and len(hits) == 2
    assert hits[0] == {
        "title": "Copper River Bridge",
        "href": f"{sim_root}/web/copper-river-bridge",
        "body": "The Copper River Bridge is a suspension bridge with a main span of 612 metres.",
    }
    assert "612 metres" in recorded[2]["content"]  # type: ignore[index]
    assert recorded[4] == {
        "error": f"An error occurred while fetching {sim_root}/web/no-such-page: 404 Client "
        f"Error: Not Found for url: {sim_root}/web/no-such-page"
    }
    assert recorded[5] == {
        "error": f"An error occurred while fetching {sim_root}/web/saltmarsh-tea: "
        "Unsupported mode: pdf"
    }
    c = recording.counters
    assert (c.searches, c.fetches, c.searches_stored, c.fetches_stored) == (2, 3, 0, 0)
    assert c.cost_usd == 0.0

    # record again: everything is served from the store
    again, provider_again = make_service("record", sim_root, engine)
    assert session(WebSearchAPI(again), sim_root) == recorded
    assert provider_again.calls == 0 and again.counters.fetches == 0
    assert again.counters.searches_stored == 2 and again.counters.fetches_stored == 3

    # replay: no provider, no fetcher, same results; a miss is counted
    replay, _ = make_service("replay", sim_root, engine)
    tools = WebSearchAPI(replay)
    assert session(tools, sim_root) == recorded
    assert replay.counters.replay_misses == 0
    assert tools.search_engine_query("never searched") == {"error": NO_RESULTS}
    assert tools.fetch_url_content(f"{sim_root}/web/glass-orchard") == {
        "error": f"An error occurred while fetching {sim_root}/web/glass-orchard: the page is "
        "not in the web store (replay mode)"
    }
    assert replay.counters.replay_misses == 2
    with session_scope(engine) as s:
        assert len(s.scalars(select(WebSearch)).all()) == 2
        pages = {(p.url.rsplit("/", 1)[1], p.mode): p for p in s.scalars(select(WebPage))}
    assert pages[("no-such-page", "raw")].status == 404
    assert pages[("copper-river-bridge", "truncate")].status == 200


def test_no_snippet_and_max_results(engine: Engine, sim_root: str) -> None:
    service, _ = make_service("record", sim_root, engine)
    bare = WebSearchAPI(service, show_snippet=False)
    results = bare.search_engine_query("glass orchard festival", max_results=3)
    assert isinstance(results, list) and len(results) == 3
    assert all(set(r) == {"title", "href"} for r in results)
    assert results[0]["title"] == "Glass Orchard festival"
    everything = bare.search_engine_query("glass orchard festival", max_results=None)
    assert isinstance(everything, list) and len(everything) == 5
    with pytest.raises(TypeError):
        bare.search_engine_query("x", max_results="3")  # type: ignore[arg-type]


def test_live_mode_always_asks_and_overwrites(engine: Engine, sim_root: str) -> None:
    live, provider = make_service("live", sim_root, engine)
    tools = WebSearchAPI(live)
    tools.search_engine_query("harbor lighthouse")
    tools.search_engine_query("harbor lighthouse")
    assert provider.calls == 2 and live.counters.searches == 2
    with session_scope(engine) as s:
        assert len(s.scalars(select(WebSearch)).all()) == 1


def test_providers_are_registered_by_name() -> None:
    assert {"serpapi", "farm-simulator"} <= set(provider_names())
    with pytest.raises(ConfigError, match="unknown search provider 'bing'"):
        get_provider("bing")
    with pytest.raises(ConfigError, match="FARM_WEB_SIMULATOR_URL"):
        get_provider("farm-simulator", WebSettings(simulator_url=None))
    with pytest.raises(ConfigError):
        WebService("record", provider=None, fetcher=None, store=None)


def test_serpapi_sends_bfcls_parameters_and_the_key_only_to_serpapi(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import http.server
    import threading

    seen: list[str] = []
    state = {"n": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.path)
            state["n"] += 1
            if state["n"] == 1:
                body, status = b'{"error": "429 Too Many Requests"}', 429
            else:
                body, status = (
                    json.dumps(
                        {
                            "organic_results": [
                                {"title": "T", "link": "https://example.org/", "snippet": "S"}
                            ]
                        }
                    ).encode(),
                    200,
                )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("SERPAPI_API_KEY", "sk-serp-secret")
        settings = WebSettings(serpapi_url=f"http://127.0.0.1:{server.server_address[1]}")
        provider = get_provider("serpapi", settings)
        assert isinstance(provider, SerpApiProvider)
        provider._sleep = lambda _s: None  # the retry's backoff, not waited for in a test
        service = WebService(
            "record",
            provider=provider,
            store=WebStore(engine),
            fetcher=PageFetcher(AddressPolicy()),
            counters=WebCounters(),
        )
        out = WebSearchAPI(service).search_engine_query("tea prices", region="cn-zh")
    finally:
        server.shutdown()
        server.server_close()
    assert out == [{"title": "T", "href": "https://example.org/", "body": "S"}]
    assert len(seen) == 2  # the 429 was retried
    assert "engine=duckduckgo" in seen[1] and "q=tea+prices" in seen[1] and "kl=cn-zh" in seen[1]
    assert "api_key=sk-serp-secret" in seen[1]
    assert service.counters.cost_usd == pytest.approx(0.015)
    with session_scope(engine) as s:
        rows = s.scalars(select(WebSearch)).all()
        dumped = json.dumps([[r.provider, r.query, r.region, r.results, r.error] for r in rows])
    assert "sk-serp-secret" not in dumped and "tea prices" in dumped


def test_an_unreachable_provider_is_the_tools_error(engine: Engine) -> None:
    with awkward_server() as port:
        pass  # closed: nothing listens on this port any more
    provider = SerpApiProvider(
        "serpapi", f"http://127.0.0.1:{port}", api_key_env=None, cost_usd=0.015
    )
    answer = provider.search("x", "wt-wt")
    assert answer.hits is None and answer.error and answer.cost_usd == 0.0


def test_httpx_request_logs_never_show_the_serpapi_key(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    import httpx

    import farm.agentic.web.providers.serpapi  # noqa: F401  (installs the filter)

    url = httpx.URL("https://serpapi.com/search.json?q=x&api_key=sk-serp-secret")
    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info(
            'HTTP Request: %s %s "%s %d %s"', "GET", url, "HTTP/1.1", 200, "OK"
        )
    assert "sk-serp-secret" not in caplog.text
    assert "api_key=***" in caplog.text and '"HTTP/1.1 200 OK"' in caplog.text
