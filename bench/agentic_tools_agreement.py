"""Tool agreement: the farm's memory and web-search tools against BFCL's own classes.

Runs the same sequences of tool calls against BFCL's ``MemoryAPI_kv``,
``MemoryAPI_rec_sum`` and ``WebSearchAPI`` (bfcl-eval in its throwaway venv, see
bench/bfcl_env.py; SerpAPI's client pointed at a local server) and against the farm's
``farm.agentic`` classes, and compares every result string as BFCL renders it for the
model (``str`` as is, ``dict`` as JSON, else ``str()``, exceptions as
``Error during execution: ...``). The web side is a server on 127.0.0.1 serving the
simulator's small web (pages gzip-encoded), a 404, a redirect and SerpAPI-shaped search.
``MemoryAPI_vector`` is left out: BFCL's needs a downloaded sentence-transformers model.

Usage: ``python bench/agentic_tools_agreement.py [--seed N] [--ops N]``.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import random
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bfcl_env import ensure_bfcl_venv  # noqa: E402

from farm.agentic.memory.kv import MemoryKV  # noqa: E402
from farm.agentic.memory.rec_sum import MemoryRecSum  # noqa: E402
from farm.agentic.web.fetch import PageFetcher  # noqa: E402
from farm.agentic.web.guard import AddressPolicy  # noqa: E402
from farm.agentic.web.providers.serpapi import SerpApiProvider  # noqa: E402
from farm.agentic.web.service import WebService  # noqa: E402
from farm.agentic.web.tools import WebSearchAPI  # noqa: E402
from farm.multiturn.dispatch import render_result  # noqa: E402
from farm.simulator.web import PAGES, page_html, ranked  # noqa: E402

BFCL_SIDE = r"""
import json, sys
from bfcl_eval.eval_checker.multi_turn_eval.func_source_code.memory_kv import MemoryAPI_kv
from bfcl_eval.eval_checker.multi_turn_eval.func_source_code.memory_rec_sum import MemoryAPI_rec_sum
from bfcl_eval.eval_checker.multi_turn_eval.func_source_code.web_search import WebSearchAPI
import serpapi.serp_api_client as client
job = json.load(sys.stdin)
client.SerpApiClient.BACKEND = job["root"]
def render(value):
    if type(value) is str:
        return value
    if type(value) is dict:
        try:
            return json.dumps(value)
        except Exception:
            return str(value)
    return str(value)
out = []
for seq in job["sequences"]:
    kind = seq["kind"]
    if kind == "kv":
        inst = MemoryAPI_kv()
    elif kind == "rec_sum":
        inst = MemoryAPI_rec_sum()
    else:
        inst = WebSearchAPI()
        inst._load_scenario({"show_snippet": seq["show_snippet"]})
    results = []
    for name, kwargs in seq["ops"]:
        try:
            results.append(render(getattr(inst, name)(**kwargs)))
        except Exception as e:
            results.append(f"Error during execution: {e}")
    out.append(results)
json.dump(out, sys.stdout)
"""

WORDS = ["name", "city", "latte", "job", "pet", "goal", "exam", "diet", "plan", "car"]


def _key(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return "Bad Key"
    if roll < 0.15:
        return "9starts_with_digit"
    return "_".join(rng.sample(WORDS, rng.randint(1, 3)))


def _text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.05:
        return "x" * rng.choice([299, 300, 301, 1999, 2000, 2001])
    return " ".join(rng.choice(WORDS + ["Seattle", "35", "oat milk"]) for _ in range(5))


def kv_ops(rng: random.Random, n: int) -> list[tuple[str, dict[str, Any]]]:
    ops: list[tuple[str, dict[str, Any]]] = []
    for _ in range(n):
        side = rng.choice(["core", "archival"])
        op = rng.choice(
            [
                "add",
                "add",
                "add",
                "remove",
                "replace",
                "retrieve",
                "list_keys",
                "key_search",
                "key_search",
                "retrieve_all",
                "clear",
            ]
        )
        name = f"{side}_memory_{op}"
        if op == "retrieve_all" and side == "archival":
            name = "archival_memory_list_keys"
        if op == "add" or op == "replace":
            ops.append((name, {"key": _key(rng), "value": _text(rng)}))
        elif op in ("remove", "retrieve"):
            ops.append((name, {"key": _key(rng)}))
        elif op == "key_search":
            args: dict[str, Any] = {"query": " ".join(rng.sample(WORDS, 2))}
            if rng.random() < 0.5:
                args["k"] = rng.randint(1, 4)
            ops.append((name, args))
        elif op == "clear" and rng.random() < 0.3:
            ops.append((name, {}))
        else:
            ops.append((name if op != "clear" else f"{side}_memory_list_keys", {}))
    return ops


def rec_sum_ops(rng: random.Random, n: int) -> list[tuple[str, dict[str, Any]]]:
    ops: list[tuple[str, dict[str, Any]]] = []
    for _ in range(n):
        op = rng.choice(["append", "append", "update", "replace", "retrieve", "clear"])
        if op == "append":
            ops.append(("memory_append", {"text": _text(rng) + ". "}))
        elif op == "update":
            ops.append(("memory_update", {"text": _text(rng) * rng.choice([1, 1, 400])}))
        elif op == "replace":
            ops.append(("memory_replace", {"old_text": rng.choice(WORDS), "new_text": "X"}))
        elif op == "retrieve":
            ops.append(("memory_retrieve", {}))
        elif rng.random() < 0.3:
            ops.append(("memory_clear", {}))
    return ops


def web_ops(rng: random.Random, root: str) -> list[tuple[str, dict[str, Any]]]:
    ops: list[tuple[str, dict[str, Any]]] = []
    for query in ("copper river bridge", "merrow rovers 2024 season", "tea"):
        args: dict[str, Any] = {"keywords": query}
        choice = rng.choice([None, 0, 2, 10, "default"])
        if choice != "default":
            args["max_results"] = choice
        if rng.random() < 0.5:
            args["region"] = rng.choice(["us-en", "wt-wt", "cn-zh"])
        ops.append(("search_engine_query", args))
    for slug in list(PAGES)[:3]:
        for mode in ("raw", "markdown", "truncate"):
            ops.append(("fetch_url_content", {"url": f"{root}/web/{slug}", "mode": mode}))
    ops.append(("fetch_url_content", {"url": f"{root}/web/missing"}))
    ops.append(("fetch_url_content", {"url": f"{root}/redirect/glass-orchard", "mode": "truncate"}))
    ops.append(("fetch_url_content", {"url": f"{root}/web/saltmarsh-tea", "mode": "pdf"}))
    ops.append(("fetch_url_content", {"url": "ftp://example.org/x"}))
    return ops


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        root = f"http://{self.headers['Host']}"
        if parts.path in ("/search", "/search.json"):
            query = parse_qs(parts.query).get("q", [""])[0]
            results = [
                {
                    "position": i,
                    "title": PAGES[s][0],
                    "link": f"{root}/web/{s}",
                    "snippet": PAGES[s][1][0],
                }
                for i, s in enumerate(ranked(query), start=1)
            ]
            body = json.dumps({"organic_results": results}).encode()
            self._send(200, body, {"Content-Type": "application/json"})
        elif parts.path.startswith("/redirect/"):
            self._send(302, b"", {"Location": "/web/" + parts.path.removeprefix("/redirect/")})
        elif parts.path.startswith("/web/") and parts.path[5:] in PAGES:
            body = gzip.compress(page_html(parts.path[5:]).encode(), mtime=0)
            self._send(
                200, body, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
            )
        else:
            self._send(404, b"missing", {"Content-Type": "text/plain"})


def farm_side(sequences: list[dict[str, Any]], root: str) -> list[list[str]]:
    provider = SerpApiProvider("serpapi", root, api_key_env=None, cost_usd=0.0)
    fetcher = PageFetcher(AddressPolicy.from_text("127.0.0.1/32"))
    out = []
    for seq in sequences:
        inst: Any
        if seq["kind"] == "kv":
            inst = MemoryKV()
        elif seq["kind"] == "rec_sum":
            inst = MemoryRecSum()
        else:
            service = WebService("live", provider=provider, fetcher=fetcher, store=None)
            inst = WebSearchAPI(service, show_snippet=seq["show_snippet"])
        results = []
        for name, kwargs in seq["ops"]:
            try:
                results.append(render_result(getattr(inst, name)(**kwargs)))
            except Exception as exc:
                results.append(f"Error during execution: {exc}")
        out.append(results)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ops", type=int, default=60, help="calls per memory sequence")
    parser.add_argument("--sequences", type=int, default=40, help="sequences per backend")
    args = parser.parse_args()
    bfcl = ensure_bfcl_venv()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = f"http://127.0.0.1:{server.server_address[1]}"
    rng = random.Random(args.seed)
    sequences: list[dict[str, Any]] = []
    for _ in range(args.sequences):
        sequences.append({"kind": "kv", "ops": kv_ops(rng, args.ops)})
        sequences.append({"kind": "rec_sum", "ops": rec_sum_ops(rng, args.ops)})
    for snippet in (True, False):
        sequences.append({"kind": "web", "show_snippet": snippet, "ops": web_ops(rng, root)})
    job = json.dumps({"root": root, "sequences": sequences})
    python = bfcl.parent / "python"
    proc = subprocess.run(
        [str(python), "-c", BFCL_SIDE],
        input=job,
        capture_output=True,
        text=True,
        env={"SERPAPI_API_KEY": "dummy", "PATH": "/usr/bin"},
    )
    if proc.returncode != 0:
        raise SystemExit(f"BFCL side failed: {proc.stderr[-3000:]}")
    theirs = json.loads(proc.stdout)
    mine = farm_side(sequences, root)
    server.shutdown()
    totals: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    shown = 0
    for seq, a, b in zip(sequences, mine, theirs, strict=True):
        for (name, kwargs), x, y in zip(seq["ops"], a, b, strict=True):
            label = f"{seq['kind']}:{name}"
            totals[label][0] += x == y
            totals[label][1] += 1
            if x != y and shown < 10:
                shown += 1
                print(f"DIFFER {label} {kwargs}\n  farm: {x[:300]!r}\n  bfcl: {y[:300]!r}")
    agree = sum(a for a, _ in totals.values())
    total = sum(n for _, n in totals.values())
    for label in sorted(totals):
        print(f"  {label:<42} {totals[label][0]}/{totals[label][1]}")
    print(f"tool results compared: {total}   equal: {agree}")


if __name__ == "__main__":
    main()
