"""Rendering shared by the run commands: status lines, run tables, the leaderboard row."""

from __future__ import annotations

import uuid
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select

from farm.agentic.sensitivity import CONFIG_KIND, STAT_KIND, stats_text
from farm.db.engine import session_scope
from farm.db.models import RunScore
from farm.progress import RunProgress
from farm.runs import RunStatus


def run_progress(status: RunStatus, console: Console) -> RunProgress:
    """A live bar for a run, starting from where ``status`` says it stands."""
    return RunProgress(
        status.n_cases,
        done=status.done,
        errors=status.errors,
        description=f"run {str(status.run_id)[:8]}",
        console=console,
    )


def status_dict(status: RunStatus) -> dict[str, Any]:
    """A run's status as JSON-ready data."""
    return {
        "run_id": str(status.run_id),
        "model": status.model_key,
        "mode": status.mode,
        "source": status.source,
        "status": status.status,
        "n_cases": status.n_cases,
        "done": status.done,
        "errors": status.errors,
        "error_kinds": status.error_kinds,
        "scorer_errors": status.scorer_errors,
        "correct": status.correct,
        "categories": status.categories,
        "created_at": status.created_at.isoformat(),
        "started_at": status.started_at.isoformat() if status.started_at else None,
        "finished_at": status.finished_at.isoformat() if status.finished_at else None,
        "label": status.label,
        "options": status.options,
        "shards": status.shards,
        "waiting": [
            {
                "chain": w.chain,
                "chain_shard": w.chain_shard,
                "status": w.chain_status,
                "shards": w.shards,
            }
            for w in status.waiting
        ],
        "scores": {
            s.category: {"kind": s.kind, "n": s.n, "correct": s.correct, "accuracy": s.accuracy}
            for s in status.scores
        },
        "web": status.web.as_json() if status.web is not None else None,
    }


def status_lines(status: RunStatus) -> list[str]:
    """A human summary of one run."""
    pct = 100.0 * status.done / status.n_cases if status.n_cases else 0.0
    lines = [
        f"run {status.run_id}  {status.status}",
        f"  model {status.model_key} ({status.mode}), {status.source}, "
        f"{len(status.categories)} categories",
        f"  {status.done}/{status.n_cases} cases done ({pct:.1f}%), {status.errors} errors, "
        f"{status.correct} correct",
    ]
    if status.error_kinds:
        label = "imported inference errors" if status.source == "evaluate" else "model errors"
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(status.error_kinds.items()))
        lines.append(f"  {label}: {kinds}")
    if status.scorer_errors:
        lines.append(
            f"  scorer errors: {status.scorer_errors} (no verdict; a farm bug, not the model)"
        )
    if status.status == "incomplete":
        lines.append(
            f"  incomplete: {status.unscored} case(s) without a verdict count as wrong; "
            f"'farm resume {str(status.run_id)[:8]}' re-runs them"
        )
    selection = status.options.get("selection")
    if isinstance(selection, dict):
        lines.append(f"  cases: {selection.get('definition')} ({selection.get('cases')} cases)")
    repeat = status.options.get("repeat")
    if isinstance(repeat, dict):
        seed = repeat.get("seed")
        lines.append(
            f"  repeat {repeat.get('index')} of {repeat.get('of')} "
            f"(group {str(repeat.get('group'))[:8]}"
            + (f", seed {seed})" if seed is not None else ", no seed sent)")
        )
    if status.options.get("tool_retrieval"):
        lines.append(
            f"  tool retrieval: top {status.options['tool_retrieval']} functions "
            f"(embeddings: {status.options.get('embedding_model')})"
        )
    if status.web is not None:
        lines.append(f"  {status.web.line()}")
    stats = {s.category: s.accuracy for s in status.scores if s.kind == STAT_KIND}
    if stats:
        configs = sum(1 for s in status.scores if s.kind == CONFIG_KIND)
        lines.append(f"  format sensitivity over {configs} configurations: {stats_text(stats)}")
    if status.shards:
        lines.append("  shards: " + ", ".join(f"{n} {s}" for s, n in sorted(status.shards.items())))
    for w in status.waiting:
        lines.append(
            f"    {w.shards} waiting on chain {w.chain} (shard {w.chain_shard}, {w.chain_status})"
        )
    if status.finished_at and status.started_at:
        took = (status.finished_at - status.started_at).total_seconds()
        lines.append(f"  took {took:.1f}s")
    return lines


def runs_table(runs: list[RunStatus], flaky: dict[uuid.UUID, int] | None = None) -> Table:
    """``farm runs`` as a table; ``flaky`` maps a repeat group to its flaky case count."""
    table = Table(title="Runs", title_justify="left")
    for header in ("Run", "Model", "Mode", "Status", "Done", "Errors", "Repeat", "Created"):
        table.add_column(header, no_wrap=True)
    for r in runs:
        repeat = r.options.get("repeat")
        cell = ""
        if isinstance(repeat, dict):
            cell = f"{repeat.get('index')}/{repeat.get('of')} of {str(repeat.get('group'))[:8]}"
            count = (flaky or {}).get(uuid.UUID(str(repeat.get("group"))))
            cell += f", {count} flaky" if count is not None else ""
        table.add_row(
            str(r.run_id)[:8],
            r.model_key,
            r.mode,
            r.status,
            f"{r.done}/{r.n_cases}",
            str(r.errors),
            cell,
            r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    return table


def group_flakiness(engine: Engine, runs: list[RunStatus]) -> dict[uuid.UUID, list[str]]:
    """The flaky cases of each repeat group in ``runs``, over the results written so far.

    A flaky case is right in some repeats and wrong in others.
    """
    from farm.report.repeats import case_verdicts, flaky, group_runs, repeat_tag

    out: dict[uuid.UUID, list[str]] = {}
    with session_scope(engine) as session:
        for r in runs:
            tag = repeat_tag(r.options)
            if tag is None or tag.group in out:
                continue
            _, members = group_runs(session, r.run_id)
            out[tag.group] = sorted(flaky(case_verdicts(session, [m.id for m in members])))
    return out


def repeat_lines(engine: Engine, status: RunStatus, *, limit: int = 20) -> list[str]:
    """For a run that is one repeat of a group: the group's flaky cases so far."""
    flaky_cases = group_flakiness(engine, [status])
    if not flaky_cases:
        return []
    ((group, cases),) = flaky_cases.items()
    lines = [f"  flaky cases of group {str(group)[:8]} so far: {len(cases)}"]
    lines += [f"    {c}" for c in cases[:limit]]
    if len(cases) > limit:
        lines.append(f"    ... {len(cases) - limit} more")
    return lines


def print_leaderboard_row(engine: Engine, run_id: uuid.UUID, console: Console) -> None:
    """The run's row of the leaderboard (as ``farm leaderboard`` shows it)."""
    from farm.report.queries import leaderboard
    from farm.report.render import rich_table

    with session_scope(engine) as session:
        rows = leaderboard(session, runs=[str(run_id)])
        sections = list(
            session.scalars(
                select(RunScore).where(RunScore.run_id == run_id, RunScore.kind == "section")
            )
        )
    if rows:
        console.print(rich_table(rows, title=f"Run {str(rows[0].run_id)[:8]}"))
        rep = rows[0].repeats
        if rep is not None:
            shown = ", ".join(rep.flaky[:20]) + (" ..." if len(rep.flaky) > 20 else "")
            console.print(
                f"{rep.k} repeats ({' '.join(str(r)[:8] for r in rep.run_ids)}): "
                f"{len(rep.flaky)} flaky case(s)" + (f": {shown}" if rep.flaky else ""),
                highlight=False,
            )
    pairs = [(s.category, s.accuracy, s.ran) for s in sections]
    if rows and rows[0].repeats is not None:  # the group's means, as its row shows them
        pairs = [(name, cell.accuracy, cell.ran) for name, cell in rows[0].sections.items()]
    ran = [(name, accuracy) for name, accuracy, ok in pairs if ok and name != "overall"]
    if ran:
        text = ", ".join(f"{name} {100 * accuracy:.1f}%" for name, accuracy in ran)
        console.print(f"sections run: {text}")
    if any(not s.ran for s in sections):
        console.print("(BFCL counts the categories a run left out as 0 in Overall; N/A = not run)")


def print_deviations(engine: Engine, run_id: uuid.UUID, console: Console) -> None:
    """The run's protocol deviations per endpoint (nothing when there are none)."""
    from farm.report.deviations import deviation_counts, deviation_lines

    with session_scope(engine) as session:
        lines = deviation_lines(deviation_counts(session, run_id))
    if lines:
        console.print("protocol deviations by endpoint (results):", markup=False)
        for line in lines:
            console.print(f"  {line}", markup=False)
