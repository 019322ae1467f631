"""Time the leaderboard, compare and history queries on a large synthetic history.

Creates a PostgreSQL database of its own (dropped at the end), migrates it, and fills it
with bulk COPY: 20 models x 50 runs = 1,000 runs of 5,000 cases each (5,000,000
``results`` rows, with latencies and token counts) plus their ``run_scores`` and
``run_stats``. Then it times, through the same library calls the CLI makes (warm, median
of several repetitions):

* ``leaderboard --latest-per-model`` (20 rows, with latency mean/std/p95 and cost);
* ``leaderboard`` of the whole suite (1,000 rows; scores only, and with latency);
* ``compare`` of two runs (McNemar over 5,000 shared cases, flipped-case lists);
* ``history --model`` (50 runs) and ``history --category``;
* the SQL views ``latest_leaderboard`` and ``run_history`` for one model.

Usage: ``python bench/queries.py [--runs 1000] [--cases 5000] [--models 20] [--keep]``.
The admin URL comes from ``FARM_TEST_POSTGRES_ADMIN_URL`` (default the local postgres).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from farm.db.engine import make_engine
from farm.db.migrate import upgrade
from farm.report.compare import compare, history
from farm.report.latency import write_run_stats
from farm.report.queries import leaderboard
from farm.scoring.sections import BFCL_SIZES, CategoryScore, compute_sections
from farm.suites.categories import ALL

ADMIN_URL = os.environ.get(
    "FARM_TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
T0 = datetime(2025, 1, 1, tzinfo=UTC)
NULL = "\\N"  # COPY text format


def category_plan(cases: int) -> list[tuple[str, int]]:
    """Cases per category, proportional to BFCL's sizes, summing to ``cases``."""
    total = sum(BFCL_SIZES[c] for c in ALL)
    plan = [(c, max(1, BFCL_SIZES[c] * cases // total)) for c in ALL]
    short = cases - sum(n for _, n in plan)
    plan[1] = (plan[1][0], plan[1][1] + short)
    return plan


def fill(url: str, *, runs: int, cases: int, models: int, seed: int = 7) -> dict[str, Any]:
    """Insert the synthetic history with COPY; return what was made."""
    import psycopg

    rng = random.Random(seed)
    plan = category_plan(cases)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    per_model = runs // models
    started = time.perf_counter()
    made_runs: list[tuple[uuid.UUID, str]] = []
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO suites (name, version, source, sha256, loaded_at, extra) "
            "VALUES ('bfcl', '2026.3.23', 'bench', %s, now(), '{}') RETURNING id",
            ("0" * 64,),
        )
        suite_id = conn.execute("SELECT id FROM suites").fetchone()[0]  # type: ignore[index]
        for m in range(models):
            conn.execute(
                "INSERT INTO models (key, display_name, backend, mode, spec, created_at, "
                "updated_at) VALUES (%s, %s, 'fake', 'fc', '{}', now(), now())",
                (f"model-{m:02d}", f"Model {m:02d} (FC)"),
            )
        cur = conn.cursor()
        meta = []
        for r in range(runs):
            model = f"model-{r % models:02d}"
            step = r // models
            run_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            created = T0 + timedelta(days=step, hours=r % models)
            made_runs.append((run_id, model))
            meta.append((r, model, step, run_id, created))
        with cur.copy(
            "COPY runs (id, model_key, suite_id, categories, mode, generation, options, "
            "source, status, n_cases, label, farm_version, created_at) FROM STDIN"
        ) as copy:
            for _, model, step, run_id, created in meta:
                copy.write_row(
                    (run_id, model, suite_id, json.dumps(ALL), "fc", "{}", "{}", "bench",
                     "done", cases, f"{model}-r{step}", "bench", created)
                )  # fmt: skip
        result_cols = (
            "run_id, case_id, category, valid, error_type, inference_error, latency_s, "
            "input_tokens, output_tokens, attempts, created_at"
        )
        score_rows: list[tuple[Any, ...]] = []
        with cur.copy(f"COPY results ({result_cols}) FROM STDIN") as copy:
            for r, _model, step, run_id, created in meta:
                base = 0.35 + 0.02 * (r % models) + 0.004 * step
                stamp = created.isoformat()
                counts: dict[str, list[int]] = {}
                lines: list[str] = []
                for category, n in plan:
                    ok = err = 0
                    for i in range(n):
                        failed = rng.random() < 0.005
                        valid = not failed and rng.random() < base
                        ok += valid
                        err += failed
                        lines.append(
                            f"{run_id}\t{category}_{i}\t{category}\t{'t' if valid else 'f'}\t"
                            f"{NULL if valid else 'ast_checker:mismatch'}\t"
                            f"{'EndpointTransient' if failed else NULL}\t"
                            f"{rng.uniform(0.2, 4.0):.4f}\t{rng.randint(200, 900)}\t"
                            f"{rng.randint(10, 90)}\t1\t{stamp}\n"
                        )
                    counts[category] = [n, ok, err]
                copy.write("".join(lines))
                scores = {c: CategoryScore(c, n, k) for c, (n, k, _) in counts.items()}
                for c, (n, k, e) in counts.items():
                    score_rows.append((run_id, c, "category", n, k, e, k / n, True))
                for s in compute_sections(scores):
                    score_rows.append((run_id, s.name, "section", s.n, 0, 0, s.accuracy, s.ran))
        with cur.copy(
            "COPY run_scores (run_id, category, kind, n, correct, errors, accuracy, ran) FROM STDIN"
        ) as copy:
            for row in score_rows:
                copy.write_row(row)
        conn.commit()
    engine = make_engine(url)
    with Session(engine) as session:  # what write_run_scores stores when a run is scored
        for run_id, _ in made_runs:
            write_run_stats(session, run_id)
        session.commit()
    engine.dispose()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {
        "runs": made_runs,
        "fill_s": time.perf_counter() - started,
        "results": runs * cases,
        "per_model": per_model,
    }


def timed(fn: Callable[[], object], repeat: int = 7) -> tuple[float, float]:
    """(median ms, best ms) of ``repeat`` warm calls after one warm-up."""
    fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), min(samples)


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
        with Session(engine) as session:
            rows = session.execute(text("SELECT id, model_key FROM runs ORDER BY created_at"))
            run_list = [(r[0], r[1]) for r in rows]
        time_queries(engine, run_list)
        engine.dispose()
        return

    name = f"farm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        info = fill(url, runs=args.runs, cases=args.cases, models=args.models)
        print(
            f"filled {args.runs} runs x {args.cases} cases = {info['results']:,} results "
            f"in {info['fill_s']:.1f} s (COPY)"
        )
        time_queries(engine, info["runs"])
        engine.dispose()
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"kept database {url}")
        admin.dispose()


def time_queries(engine: Any, runs: list[tuple[uuid.UUID, str]]) -> None:
    """Print the timings of the report queries on a filled database."""
    same_model = [r for r, m in runs if m == runs[0][1]]
    run_a, run_b = str(same_model[0]), str(same_model[-1])
    model = runs[0][1]
    checks: list[tuple[str, Callable[[Session], object]]] = [
        ("leaderboard --latest-per-model",
         lambda s: leaderboard(s, suite="bfcl", latest_per_model=True)),
        ("leaderboard (all runs, scores only)",
         lambda s: leaderboard(s, suite="bfcl", with_latency=False)),
        ("leaderboard (all runs, with latency)", lambda s: leaderboard(s, suite="bfcl")),
        ("compare RUN_A RUN_B", lambda s: compare(s, run_a, run_b)),
        ("compare by 8-digit prefixes", lambda s: compare(s, run_a[:8], run_b[:8])),
        ("history --model", lambda s: history(s, model=model)),
        ("history --model --category live_simple",
         lambda s: history(s, model=model, category="live_simple")),
        ("SQL: SELECT * FROM latest_leaderboard",
         lambda s: s.execute(text("SELECT * FROM latest_leaderboard")).all()),
        ("SQL: run_history of one model",
         lambda s: s.execute(text("SELECT * FROM run_history WHERE model_key = :m"),
                             {"m": model}).all()),
    ]  # fmt: skip
    print(f"{'query':44} {'median ms':>10} {'best ms':>9}  under 200 ms")
    for label, fn in checks:

        def call(fn: Callable[[Session], object] = fn) -> None:
            with Session(engine) as session:  # one transaction per call, as the CLI does
                fn(session)

        median, best = timed(call)
        verdict = "yes" if median < 200 else "NO"
        print(f"{label:44} {median:10.1f} {best:9.1f}  {verdict}")


if __name__ == "__main__":
    main()
