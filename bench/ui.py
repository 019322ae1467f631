"""Page response times of ``farm ui`` on PostgreSQL with 1,000 runs and 5 million results.

Builds the database with ``bench/queries.py``'s builder (20 models x 50 runs x 5,000 cases,
COPY), then adds what the explorer shows beyond scores: the suite's cases (question,
functions, answer), raw outputs and decoded calls for two runs, and a run in progress
(half its results written over the last minute, 50 shards, two workers). The explorer is
served by the real threaded WSGI server on loopback and each page is fetched over HTTP,
warm, median of 7 (one request at a time, as a browser tab does).

Usage: ``python bench/ui.py [--runs 1000] [--cases 5000] [--models 20] [--keep]`` or
``python bench/ui.py --reuse URL`` (a database filled by this script or bench/queries.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.queries import ADMIN_URL, fill  # noqa: E402
from farm.db.engine import make_engine  # noqa: E402
from farm.db.migrate import upgrade  # noqa: E402
from farm.report.compare import compare  # noqa: E402
from farm.report.queries import leaderboard  # noqa: E402
from farm.runs import list_runs  # noqa: E402
from farm.ui.app import create_app, make_ui_server  # noqa: E402

LIVE_LABEL = "bench-live"


def decorate(engine: Engine) -> None:
    """Cases, outputs of two runs and a running run, on top of the builder's database."""
    with engine.begin() as conn:
        if conn.scalar(text("SELECT count(*) FROM runs WHERE label = :l"), {"l": LIVE_LABEL}):
            return
        first, second = conn.execute(
            text("SELECT id FROM runs WHERE model_key = 'model-00' ORDER BY created_at LIMIT 2")
        ).scalars()
        conn.execute(
            text(
                "INSERT INTO test_cases (suite_id, case_id, category, language, position, "
                "turns, functions, answer, extra, content_hash) "
                "SELECT r.suite_id, res.case_id, res.category, 'python', 0, "
                "jsonb_build_array(jsonb_build_array(jsonb_build_object('role', 'user', "
                "'content', 'What is the weather in ' || res.case_id || '?'))), "
                '\'[{"name": "get_weather", "parameters": {"type": "dict", '
                '"properties": {"city": {"type": "string"}}}}]\'::jsonb, '
                "jsonb_build_array(jsonb_build_object('get_weather', jsonb_build_object("
                "'city', jsonb_build_array(res.case_id)))), '{}', repeat('0', 64) "
                "FROM results res JOIN runs r ON r.id = res.run_id WHERE res.run_id = :a"
            ),
            {"a": first},
        )
        conn.execute(
            text(
                "UPDATE results SET raw_output = jsonb_build_array(jsonb_build_object("
                "'get_weather', jsonb_build_object('city', case_id || ' Paris'))), "
                "decoded = jsonb_build_array(jsonb_build_object('get_weather', "
                "jsonb_build_object('city', case_id))), endpoint = 'http://10.0.0.7:8000/v1', "
                "worker = 'gpu-' || (abs(hashtext(case_id)) % 4) WHERE run_id IN (:a, :b)"
            ),
            {"a": first, "b": second},
        )
        live = uuid.uuid4()
        conn.execute(
            text(
                "INSERT INTO runs (id, model_key, suite_id, categories, mode, generation, "
                "options, source, status, n_cases, label, farm_version, created_at, started_at) "
                "SELECT :id, model_key, suite_id, categories, mode, generation, options, "
                "'submit', 'running', n_cases, :label, farm_version, now(), "
                "now() - interval '2 minutes' FROM runs WHERE id = :a"
            ),
            {"id": live, "label": LIVE_LABEL, "a": first},
        )
        conn.execute(
            text(
                "INSERT INTO results (run_id, case_id, category, raw_output, decoded, valid, "
                "error_type, inference_error, latency_s, input_tokens, output_tokens, attempts, "
                "worker, created_at) SELECT :id, case_id, category, raw_output, decoded, valid, "
                "error_type, inference_error, latency_s, input_tokens, output_tokens, 1, "
                "'gpu-' || (row_number() OVER () % 2), now() - random() * interval '90 seconds' "
                "FROM results WHERE run_id = :a ORDER BY case_id LIMIT "
                "(SELECT n_cases / 2 FROM runs WHERE id = :a)"
            ),
            {"id": live, "a": first},
        )
        conn.execute(
            text(
                "INSERT INTO shards (run_id, shard_no, case_ids, status, attempts, updated_at) "
                "SELECT :id, g, '[]'::jsonb, CASE WHEN g < 25 THEN 'done' WHEN g < 27 "
                "THEN 'running' ELSE 'queued' END, 1, now() FROM generate_series(0, 49) g"
            ),
            {"id": live},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


Query = Callable[[Session], object] | None


def pages(engine: Engine) -> list[tuple[str, str, Query]]:
    """(label, path, the CLI's query for the same content or None) of the pages to time."""
    with engine.connect() as conn:
        a, b = conn.execute(
            text("SELECT id FROM runs WHERE model_key = 'model-00' ORDER BY created_at LIMIT 2")
        ).scalars()
        live = conn.scalar(text("SELECT id FROM runs WHERE label = :l"), {"l": LIVE_LABEL})
        case_id = conn.scalar(
            text("SELECT case_id FROM results WHERE run_id = :a AND NOT valid LIMIT 1"), {"a": a}
        )
    a_id, b_id = str(a), str(b)
    return [
        ("runs (newest 50 of 1,001)", "/runs", lambda s: list_runs(s, limit=50)),
        ("runs filtered (model, status)", "/runs?model=model-03&status=done", None),
        ("run page, running run (shards, workers)", f"/runs/{live}", None),
        ("live progress poll (JSON)", f"/api/runs/{live}/progress", None),
        ("run page, finished run", f"/runs/{a}", None),
        ("cases of a run (first 100 of 5,000)", f"/runs/{a}/cases", None),
        ("cases filtered (category, verdict)",
         f"/runs/{a}/cases?category=live_multiple&verdict=failed", None),
        ("cases, text search in raw outputs", f"/runs/{a}/cases?q=paris&offset=300", None),
        ("case page", f"/runs/{a}/cases/{case_id}", None),
        ("leaderboard, latest per model", "/leaderboard",
         lambda s: leaderboard(s, latest_per_model=True)),
        ("leaderboard, all 1,000 runs (page 1)", "/leaderboard?latest=0",
         lambda s: leaderboard(s)),
        ("leaderboard, all runs sorted, last page", "/leaderboard?latest=0&sort=live&offset=900",
         lambda s: leaderboard(s)),
        ("compare two runs (5,000 shared cases)", f"/compare?a={a}&b={b}",
         lambda s: compare(s, a_id, b_id)),
        ("compare, one case side by side", f"/compare/case?a={a}&b={b}&case={case_id}", None),
    ]  # fmt: skip


def _median(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), min(samples)


def time_pages(engine: Engine, repeat: int = 7) -> None:
    """Serve the explorer on loopback and print each page's response time.

    Beside each page whose content the CLI also computes, the same library call (one
    session, as the CLI makes it) is timed right after, so the ratio page / query shows
    what the web layer adds whatever the machine's load.
    """
    server = make_ui_server(create_app(engine), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.port}"
    print(
        f"{'page':44} {'median ms':>9} {'best ms':>8} {'KiB':>5} {'<200 ms':>7}"
        f" {'CLI query ms':>12} {'page/query':>10}"
    )
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for label, path, query in pages(engine):
                size = len(client.get(path).raise_for_status().content) / 1024
                median, best = _median(lambda p=path: client.get(p).raise_for_status(), repeat)
                extra = ""
                if query is not None:

                    def call(q: Callable[[Session], object] = query) -> None:
                        with Session(engine) as session:
                            q(session)

                    q_median, _ = _median(call, repeat)
                    extra = f" {q_median:12.1f} {median / q_median:10.2f}"
                verdict = "yes" if median < 200 else "NO"
                print(f"{label:44} {median:9.1f} {best:8.1f} {size:5.0f} {verdict:>7}{extra}")
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="Do not drop the database.")
    parser.add_argument("--reuse", metavar="URL", help="Time an already filled database.")
    args = parser.parse_args()
    if args.reuse:
        engine = make_engine(args.reuse)
        upgrade(engine)
        decorate(engine)
        time_pages(engine)
        engine.dispose()
        return
    name = f"farm_bench_ui_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        info = fill(url, runs=args.runs, cases=args.cases, models=args.models)
        decorate(engine)
        print(
            f"filled {args.runs} runs x {args.cases} cases = {info['results']:,} results "
            f"in {info['fill_s']:.1f} s, plus cases, outputs and a running run"
        )
        time_pages(engine)
        engine.dispose()
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"kept database {url}")
        admin.dispose()


if __name__ == "__main__":
    main()
