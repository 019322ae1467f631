"""The page fetcher refuses non-public addresses (also through names and redirects), caps size
and time, and decodes; no packet leaves 127.0.0.0/8, whatever the guard does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from farm.agentic.web.fetch import FetchError, PageFetcher
from farm.agentic.web.guard import AddressPolicy
from farm.agentic.web.render import render
from farm.agentic.web.service import WebService
from farm.agentic.web.tools import WebSearchAPI
from farm.multiturn.dispatch import execute_call
from farm.multiturn.envs import Environment
from farm.simulator.server import SimulatorConfig, running_simulator
from tests.agentic.webfixtures import LoopbackOnlyConnector, OffLoopback, awkward_server
from tests.agentic.webfixtures import test_resolver as resolver


@pytest.fixture
def connector() -> LoopbackOnlyConnector:
    return LoopbackOnlyConnector()


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with awkward_server() as p:
        yield p


def fetcher(connector: LoopbackOnlyConnector, allow: str = "", **kw: object) -> PageFetcher:
    return PageFetcher(AddressPolicy.from_text(allow), resolver=resolver, connector=connector, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://localhost/", "localhost (127.0.0.1): 127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud-metadata address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://[::1]:8080/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "127.0.0.1 is a loopback address"),
        ("http://private.test/", "private.test (10.0.0.7): 10.0.0.7 is a private address"),
        ("http://metadata.test/", "169.254.169.254 is a cloud-metadata address"),
        ("http://rebind.test/", "127.0.0.1 is a loopback address"),
        ("http://0.0.0.0/", "0.0.0.0 is a"),
        ("http://100.100.100.200/", "cloud-metadata"),
    ],
)
def test_non_public_addresses_are_refused_before_any_connection(
    connector: LoopbackOnlyConnector, url: str, why: str
) -> None:
    with pytest.raises(FetchError, match="refused to connect") as info:
        fetcher(connector).fetch(url)
    assert why in str(info.value)
    assert connector.attempts == []


def test_the_tool_reports_a_refusal_as_bfcls_fetch_error(connector: LoopbackOnlyConnector) -> None:
    service = WebService(
        "record", provider=None or _NoSearch(), fetcher=fetcher(connector), store=None
    )
    tools = WebSearchAPI(service)
    out = tools.fetch_url_content("http://127.0.0.1/admin", mode="markdown")
    assert out == {
        "error": "An error occurred while fetching http://127.0.0.1/admin: refused to connect "
        "to 127.0.0.1: 127.0.0.1 is a loopback address"
    }
    env = Environment(
        instances={"WebSearchAPI": tools},
        methods={"fetch_url_content": ("WebSearchAPI", tools.fetch_url_content)},
    )
    assert execute_call(env, "fetch_url_content(url='ftp://x')") == (
        "Error during execution: Invalid URL: ftp://x"
    )
    assert connector.attempts == []


def test_a_redirect_from_an_allowed_host_to_a_refused_one_is_refused(
    connector: LoopbackOnlyConnector, port: int
) -> None:
    fetch = fetcher(connector, allow="127.0.0.1/32")
    assert "Hello from loopback" in fetch.fetch(f"http://allowed.test:{port}/page").text
    for target in (f"http://127.0.0.2:{port}/page", "http://private.test/", "http://10.9.9.9/"):
        with pytest.raises(FetchError, match="refused to connect"):
            fetch.fetch(f"http://127.0.0.1:{port}/to?url={target}")
    # a name with one allowed and one refused address is refused as a whole
    with pytest.raises(FetchError, match="rebind.test \\(10.0.0.8\\): 10.0.0.8 is a private"):
        fetch.fetch(f"http://rebind.test:{port}/page")
    assert set(connector.attempts) == {"127.0.0.1"}


def test_the_connector_catches_what_a_broken_guard_would_let_through(
    connector: LoopbackOnlyConnector,
) -> None:
    # A policy that allows everything stands in for a broken guard: the connector still
    # refuses to open a socket off loopback, so the test fails instead of sending packets.
    broken = fetcher(connector, allow="0.0.0.0/0,::/0")
    with pytest.raises(OffLoopback):
        broken.fetch("http://private.test/")
    with pytest.raises(OffLoopback):
        broken.fetch("http://public.test/")
    assert connector.attempts == ["10.0.0.7", "93.184.215.14"]


def test_size_time_and_status_limits(connector: LoopbackOnlyConnector, port: int) -> None:
    fetch = fetcher(connector, allow="127.0.0.0/8", max_bytes=4096, timeout_s=0.5)
    with pytest.raises(FetchError, match="larger than 4096 bytes"):
        fetch.fetch(f"http://127.0.0.1:{port}/big")
    with pytest.raises(FetchError, match="larger than 4096 bytes"):
        fetch.fetch(f"http://127.0.0.1:{port}/bomb")
    with pytest.raises(FetchError, match="timed out after 0.5 s"):
        fetch.fetch(f"http://127.0.0.1:{port}/slow")
    with pytest.raises(FetchError) as info:
        fetch.fetch(f"http://127.0.0.1:{port}/nope")
    assert str(info.value) == f"404 Client Error: Not Found for url: http://127.0.0.1:{port}/nope"
    assert info.value.status == 404
    assert fetch.fetch(f"http://127.0.0.1:{port}/latin").text == "caf\u00e9"


def test_gzip_and_brotli_pages_decode_and_render_in_every_mode(
    connector: LoopbackOnlyConnector,
) -> None:
    with running_simulator([], SimulatorConfig()) as sim:
        fetch = fetcher(connector, allow="127.0.0.1/32")
        root = sim.base_url.removesuffix("/v1")
        page = fetch.fetch(f"{root}/web/redirect/copper-river-bridge")
        assert page.final_url == f"{root}/web/copper-river-bridge" and page.status == 200
        assert "main span of 612 metres" in page.text
        md = render(page.text, "markdown")
        assert md.startswith("# Copper River Bridge") and "612 metres" in md
        text = render(page.text, "truncate")
        assert "tracking" not in text and "margin" not in text
        assert text.splitlines()[0] == "Copper River Bridge"
        with pytest.raises(ValueError, match="Unsupported mode: pdf"):
            render(page.text, "pdf")
        fetch.close()


class _NoSearch:
    name = "none"

    def search(self, query: str, region: str):  # pragma: no cover - never asked here
        raise AssertionError("no search expected")
