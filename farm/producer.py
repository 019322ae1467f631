"""The producer: plan a run (run row, model row, shards) and enqueue its shards.

``farm submit`` plans in one transaction and then sends one broker message per shard to the
model's queue; ``farm run`` plans the same way and hands the shards to the embedded
executor (:mod:`farm.local`). Shards are planned in suite order, so a shard holds cases of
one or two neighbouring categories. Cases that start from a chain (BFCL's memory questions)
come last: one chain shard per chain, then their shards, ``waiting`` for it; only shards
that wait for nothing are sent at once (a chain shard's completion releases its waiters).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from farm import __version__, ledger
from farm.benchmarks.registry import expand_categories, known_categories
from farm.config import Settings
from farm.db.models import Model, Run, Shard, TestCase
from farm.errors import BrokerError, SubmitError
from farm.shardspec import ShardSpec
from farm.shardspec import shard_spec as shard_spec  # re-exported: built from the run
from farm.suites.categories import PROMPT_ONLY, prompt_only_skip_note

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from farm.models.registry import ModelSpec
    from farm.suites.subsets import CaseFilter

#: Largest shard the planner chooses by itself.
MAX_AUTO_SHARD = 2000


@dataclass(frozen=True)
class RunRequest:
    """A run to plan.

    Attributes:
        model: the resolved model (its endpoints are not stored with the run).
        suite: ``bfcl`` (newest loaded), ``bfcl@2026.3.23`` or another loaded suite.
        categories: category and group names (``all``, ``single_turn``, ``simple_python``).
        shard_size: cases per shard; 0 lets :func:`auto_shard_size` choose.
        source: ``submit`` (distributed) or ``run`` (embedded).
        label: an optional free-text label shown in ``farm runs``.
        options: further run options recorded with the run (e.g. concurrency).
        selection: ``--subset``, ``--cases``, ``--sample``: narrows the categories' cases
            (recorded as ``options["selection"]``).
        repeats: K: plan K runs of the same cases, tied together as one repeat group
            (``options["repeat"]``, see :mod:`farm.report.repeats`).
        repeat_seeds: send each repeat its own ``seed`` (the model's generation seed,
            or 1, plus the repeat index - 1); off for an endpoint that rejects ``seed``.
    """

    model: ModelSpec
    suite: str = "bfcl"
    categories: Sequence[str] = ("all",)
    shard_size: int = 0
    source: str = "submit"
    label: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    selection: CaseFilter | None = None
    repeats: int = 1
    repeat_seeds: bool = True


@dataclass(frozen=True)
class PlannedRun:
    """A planned run and its shards; for ``--repeats K``, the first repeat.

    ``repeats`` holds the other K-1 planned repeats (empty for a single run); ``notes``
    holds one-line warnings about the plan (categories of a group the model's mode skips).
    """

    run_id: uuid.UUID
    model_key: str
    n_cases: int
    categories: list[str]
    shards: list[ShardSpec]
    repeats: tuple[PlannedRun, ...] = ()
    notes: tuple[str, ...] = ()

    def group(self) -> list[PlannedRun]:
        """This run and its other repeats, in repeat order."""
        return [self, *self.repeats]


def auto_shard_size(n_cases: int, concurrency: int) -> int:
    """A shard size that keeps an endpoint's slots busy and spreads over many workers.

    At least two full waves of the endpoint's concurrency per shard (so a shard's tail is
    short next to its body), and at most about 1/32 of the run beyond that, so that many
    workers can share it.
    """
    return max(1, min(MAX_AUTO_SHARD, max(2 * concurrency, math.ceil(n_cases / 32))))


def plan_run(session: Session, request: RunRequest) -> PlannedRun:
    """Write the run (or its K repeats), its model and its shards (queued) in ``session``.

    Raises:
        SuiteError: for an unknown suite, category, subset, case id or pattern.
        SubmitError: if the chosen categories hold no case, or repeats < 1.
    """
    selected = _select(session, request)
    suite, categories, pairs = selected.suite, selected.categories, selected.pairs
    case_ids = [p[0] for p in pairs]
    spec = request.model
    _upsert_model(session, spec)
    size = request.shard_size or auto_shard_size(len(case_ids), spec.max_concurrency)
    shards = plan_shards(case_ids, dict(pairs), size, _chain_steps(session, suite.id))
    first = uuid.uuid4()
    planned: list[PlannedRun] = []
    for index in range(1, request.repeats + 1):
        generation = dict(spec.generation)
        run_options = {**selected.options, "shard_size": size}
        if request.repeats > 1:
            seed = None
            if request.repeat_seeds:
                base = generation.get("seed")
                seed = (base if isinstance(base, int) else 1) + index - 1
                generation["seed"] = seed
            run_options["repeat"] = {
                "group": str(first),
                "index": index,
                "of": request.repeats,
                "seed": seed,
            }
        run = Run(
            id=first if index == 1 else uuid.uuid4(),
            model_key=spec.key,
            suite_id=suite.id,
            categories=categories,
            mode=spec.mode,
            generation=generation,
            options=run_options,
            source=request.source,
            status=ledger.RUN_PENDING,
            n_cases=len(case_ids),
            label=request.label
            if index == 1 or request.label is None
            else f"{request.label}#{index}",
            farm_version=__version__,
        )
        session.add(run)
        session.flush()
        specs: list[ShardSpec] = []
        for shard_no, plan in enumerate(shards):
            session.add(
                Shard(
                    run_id=run.id,
                    shard_no=shard_no,
                    case_ids=plan.case_ids,
                    chain=plan.chain,
                    waits_on=plan.waits_on,
                    status=ledger.SHARD_QUEUED if plan.waits_on is None else ledger.SHARD_WAITING,
                )
            )
            specs.append(
                shard_spec(run, shard_no, plan.case_ids, chain=plan.chain, waits_on=plan.waits_on)
            )
        session.flush()
        planned.append(PlannedRun(run.id, spec.key, len(case_ids), categories, specs))
    head = planned[0]
    return PlannedRun(
        head.run_id,
        head.model_key,
        head.n_cases,
        head.categories,
        head.shards,
        tuple(planned[1:]),
        selected.notes,
    )


@dataclass(frozen=True)
class _Selection:
    """What a request selects (read only; nothing is written).

    The suite row, categories, ``(case id, category)`` pairs in run order, the run's
    options (with the selection's record) and the plan's notes.
    """

    suite: Any
    categories: list[str]
    pairs: list[tuple[str, str]]
    options: dict[str, Any]
    notes: tuple[str, ...]


def check_request(session: Session, request: RunRequest) -> None:
    """Check what ``request`` selects without writing anything (before probing endpoints).

    Raises:
        SuiteError: for an unknown suite, category, subset, case id or pattern.
        SubmitError: if the chosen categories hold no case, or repeats < 1.
    """
    _select(session, request)


def _select(session: Session, request: RunRequest) -> _Selection:
    from farm.suites.store import category_counts, resolve_suite
    from farm.suites.subsets import cases_digest, narrow

    if request.shard_size < 0:
        raise SubmitError(f"shard size must be positive, got {request.shard_size}")
    suite = resolve_suite(session, request.suite)
    counts = category_counts(session, suite.id)
    known = known_categories(counts)
    categories, notes = _runnable(request, expand_categories(request.categories, known))
    rows = session.execute(
        select(TestCase.case_id, TestCase.category, TestCase.position)
        .where(TestCase.suite_id == suite.id, TestCase.category.in_(categories))
        .order_by(TestCase.position)
    ).all()
    order = {c: i for i, c in enumerate(categories)}
    ordered = sorted(rows, key=lambda r: (order[r.category], r.position))
    pairs = [(r.case_id, r.category) for r in ordered]
    if not pairs:
        raise SubmitError(f"no cases in {', '.join(categories)} of suite {request.suite}")
    options = dict(request.options)
    if request.selection:
        chosen = narrow(session, suite, pairs, request.selection)
        kept = set(chosen.case_ids)
        pairs = [p for p in pairs if p[0] in kept]
        categories = [c for c in categories if any(p[1] == c for p in pairs)]
        options["selection"] = {
            "definition": chosen.definition,
            "subset": chosen.subset,
            "cases": len(pairs),
            "cases_sha256": cases_digest([p[0] for p in pairs]),
        }
    if request.repeats < 1:
        raise SubmitError(f"--repeats must be at least 1, got {request.repeats}")
    return _Selection(suite, categories, pairs, options, notes)


def _runnable(request: RunRequest, categories: list[str]) -> tuple[list[str], tuple[str, ...]]:
    """The categories the model's mode runs, and a note for those a group brought in but not.

    BFCL runs format sensitivity for prompt-mode models only: for a call format without
    ``runs_format_sensitivity`` a group (``all``) leaves it out with a one-line note, and
    naming it is refused.

    Raises:
        SubmitError: a prompt-only category named for a model of another mode.
    """
    from farm.formats import get_format

    mode = request.model.mode
    if get_format(mode).runs_format_sensitivity:
        return categories, ()
    named = {part.strip() for raw in request.categories for part in raw.split(",")}
    refused = [c for c in categories if c in named and c in PROMPT_ONLY]
    if refused:
        raise SubmitError(
            f"{', '.join(refused)} runs in prompt mode only (BFCL skips it for FC models); "
            f"{request.model.key} has mode {mode!r}: use --mode prompt"
        )
    skipped = [c for c in categories if c in PROMPT_ONLY]
    kept = [c for c in categories if c not in skipped]
    return kept, (prompt_only_skip_note(mode, skipped),) if skipped else ()


@dataclass(frozen=True)
class ShardPlan:
    """One planned shard: its cases, or a chain's steps, and the chain shard it waits for.

    Attributes:
        case_ids: the cases (a chain shard: the chain's step ids, in order).
        chain: the chain key of a chain shard (``memory_kv:student``), else None.
        waits_on: the index of the chain shard these cases wait for, else None.
    """

    case_ids: list[str]
    chain: str | None = None
    waits_on: int | None = None


def plan_shards(
    case_ids: Sequence[str],
    categories: Mapping[str, str],
    size: int,
    steps: Callable[[str, str], list[str]],
) -> list[ShardPlan]:
    """Cases cut into shards of ``size``, in order; cases that wait for a chain come last.

    A benchmark's chain keys (:meth:`~farm.benchmarks.base.Benchmark.shard_group`) each get
    a chain shard (``steps(category, key)``: its step ids) followed by the shards of its
    cases (``size`` each), which wait for it.
    """
    from farm.benchmarks.registry import benchmark_for

    groups: dict[str, list[str]] = {}
    plain: list[str] = []
    owner: dict[str, str] = {}
    for case_id in case_ids:
        category = categories[case_id]
        key = benchmark_for(category).shard_group(case_id, category)
        if key is None:
            plain.append(case_id)
        else:
            groups.setdefault(key, []).append(case_id)
            owner.setdefault(key, category)
    plans = [ShardPlan(plain[start : start + size]) for start in range(0, len(plain), size)]
    for key, members in groups.items():
        chain_no = len(plans)
        plans.append(ShardPlan(steps(owner[key], key), chain=key))
        plans += [
            ShardPlan(members[start : start + size], waits_on=chain_no)
            for start in range(0, len(members), size)
        ]
    return plans


def _chain_steps(session: Session, suite_id: int) -> Callable[[str, str], list[str]]:
    """``steps(category, key)`` of a suite: its benchmark's chain steps (suite read once)."""
    from farm.benchmarks.registry import benchmark_for
    from farm.db.models import Suite

    extra: dict[str, Any] = {}

    def steps(category: str, key: str) -> list[str]:
        if not extra:
            suite = session.get(Suite, suite_id)
            extra.update((suite.extra or {}) if suite is not None else {})
        return benchmark_for(category).chain_steps(key, extra)

    return steps


def ready(shards: Sequence[ShardSpec]) -> list[ShardSpec]:
    """The shards that may start now (not waiting for a chain), chain shards first.

    A chain is the long pole of its questions, so chains are sent ahead of the rest.
    """
    free = [s for s in shards if s.waits_on is None]
    return [s for s in free if s.chain is not None] + [s for s in free if s.chain is None]


def enqueue(settings: Settings, shards: Sequence[ShardSpec]) -> int:
    """Send the shards to their model's queue.

    Raises:
        BrokerError: if the broker cannot be reached.
    """
    from farm.broker import send_shards

    return send_shards(settings, [(s.model_key, s.payload()) for s in shards])


def submit(settings: Settings, engine: Engine, request: RunRequest) -> PlannedRun:
    """Plan a run (or its repeats) and enqueue the shards; the ids stay valid if that fails.

    Raises:
        ConfigError: when no broker is configured.
        SubmitError: when the broker cannot be reached (the run stays planned; ``farm
            resume`` enqueues it later).
    """
    from farm.broker import broker_url
    from farm.db.engine import session_scope

    broker_url(settings)
    with session_scope(engine) as session:
        planned = plan_run(session, request)
    try:
        enqueue(settings, ready([shard for run in planned.group() for shard in run.shards]))
    except BrokerError as exc:
        raise SubmitError(
            f"run {planned.run_id} is planned but not enqueued: {exc.message}; "
            f"run 'farm resume {planned.run_id}' once the broker is up"
        ) from exc
    return planned


def _upsert_model(session: Session, spec: ModelSpec) -> None:
    """Record the model (without endpoints: where it was served is not part of it)."""
    data = spec.model_dump(mode="json", exclude={"endpoints"})
    row = session.get(Model, spec.key)
    if row is None:
        session.add(
            Model(
                key=spec.key,
                display_name=spec.display_name or spec.key,
                backend=spec.backend,
                mode=spec.mode,
                spec=data,
            )
        )
    else:
        row.display_name = spec.display_name or spec.key
        row.backend = spec.backend
        row.mode = spec.mode
        row.spec = data
