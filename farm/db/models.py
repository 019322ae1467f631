"""Tables of the farm (see DESIGN.md, "Data model").

Leaderboard-relevant values (category, valid, latency, tokens) live in typed scalar columns;
raw payloads (model output, decoded calls, error detail) in JSON (JSONB on PostgreSQL).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from farm.db.base import Base, JSONType, utcnow


class Suite(Base):
    """One version of a benchmark suite, e.g. ``bfcl`` 2026.3.23."""

    __tablename__ = "suites"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text, doc="Where it came from (wheel file, directory).")
    sha256: Mapped[str] = mapped_column(String(64), doc="Digest of the source (wheel or files).")
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    extra: Mapped[dict[str, Any]] = mapped_column(
        JSONType, default=dict, doc="Suite-wide data, e.g. multi-turn function docs by class."
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("suites.id"),
        nullable=True,
        doc="For a version derived by errata (``V+NAME``): the version it was derived from.",
    )
    errata_sha256: Mapped[str | None] = mapped_column(
        String(64), nullable=True, doc="SHA-256 of the errata file a derived version applied."
    )


class TestCase(Base):
    """One benchmark case, exactly as the suite ships it."""

    __tablename__ = "test_cases"
    __table_args__ = (Index("ix_test_cases_suite_category", "suite_id", "category"),)

    suite_id: Mapped[int] = mapped_column(
        ForeignKey("suites.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    category: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, doc="Index of the case in its category file.")
    turns: Mapped[list[Any]] = mapped_column(JSONType)
    functions: Mapped[list[Any]] = mapped_column(JSONType)
    answer: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))


class Subset(Base):
    """A named selection of cases of one suite version (``farm subsets add``).

    ``case_ids`` are in the suite's order; ``definition`` records how it was made
    (``--cases ...``, ``--file ...`` or ``--sample N --seed S``).
    """

    __tablename__ = "subsets"
    __table_args__ = (UniqueConstraint("suite_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    suite_id: Mapped[int] = mapped_column(ForeignKey("suites.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    case_ids: Mapped[list[Any]] = mapped_column(JSONType)
    definition: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Model(Base):
    """A model as the farm knows it: how to serve it and how to talk to it."""

    __tablename__ = "models"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    backend: Mapped[str] = mapped_column(String(50))
    mode: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Run(Base):
    """One evaluation of one model on a set of categories of one suite version."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_model_created", "model_key", "created_at"),
        Index("ix_runs_suite_created", "suite_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    model_key: Mapped[str] = mapped_column(ForeignKey("models.key"))
    suite_id: Mapped[int] = mapped_column(ForeignKey("suites.id"))
    categories: Mapped[list[Any]] = mapped_column(JSONType)
    mode: Mapped[str] = mapped_column(String(20))
    generation: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(
        JSONType, default=dict, doc="Run options: shard size, concurrency, tool retrieval, ..."
    )
    source: Mapped[str] = mapped_column(
        String(20), default="submit", doc="submit, run (embedded) or evaluate (imported)."
    )
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    n_cases: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    farm_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Shard(Base):
    """A slice of a run's cases, the unit of work on the broker.

    A *chain shard* (``chain`` set, e.g. ``memory_kv:student``) holds a scenario's
    prerequisite conversations in order (``case_ids``: their ids; they get no result rows):
    it leaves the state its questions start from. Question shards that need it name it in
    ``waits_on`` (its ``shard_no``) and stay ``waiting`` until it is done.
    """

    __tablename__ = "shards"
    __table_args__ = (Index("ix_shards_status_lease", "status", "lease_expires_at"),)

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    shard_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_ids: Mapped[list[Any]] = mapped_column(JSONType)
    chain: Mapped[str | None] = mapped_column(String(200), nullable=True)
    waits_on: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Result(Base):
    """The outcome of one case in one run: what the model said and the verdict.

    A failed inference is a row with ``inference_error`` set, ``raw_output`` null and no
    verdict (``valid`` null); a scorer failure has ``error_type`` ``scorer_error`` and no
    verdict. Error text never goes where model output belongs (see farm.result_row).
    """

    __tablename__ = "results"
    __table_args__ = (
        ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        Index("ix_results_run_category", "run_id", "category", "valid"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    category: Mapped[str] = mapped_column(String(100))
    raw_output: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    decoded: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    valid: Mapped[bool | None] = mapped_column(
        Boolean, nullable=True, doc="The verdict; null for a failed case (no verdict)."
    )
    error_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error_detail: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    inference_error: Mapped[str | None] = mapped_column(
        String(100), nullable=True, doc="Error class of a failed inference, e.g. EndpointTransient."
    )
    inference_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    input_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    endpoint: Mapped[str | None] = mapped_column(String(300), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    call_info: Mapped[Any | None] = mapped_column(
        JSONType,
        nullable=True,
        doc="The reply besides its calls: finish_reason, content null/empty/text, reasoning, "
        "parsed_by server/client, protocol deviations (farm.formats.reply).",
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunScore(Base):
    """Aggregated scores of a run: one row per leaf category and per leaderboard section.

    ``kind`` is ``category`` (a BFCL leaf category) or ``section`` (an aggregate such as
    ``overall``; see :mod:`farm.suites.categories`). ``ran`` is false for a category or
    section with a member that was not run (BFCL shows N/A but counts it as 0).

    A run of BFCL's format sensitivity also has ``format_config`` rows (``category`` = a
    prompt configuration; ``n``, ``correct``, ``errors``, ``accuracy`` of its cases) and
    ``format_stat`` rows (``category`` = ``accuracy_max_delta``, ``accuracy_std`` or
    ``accuracy_variance``; ``accuracy`` holds the statistic in BFCL's units, percentage
    points or points squared; ``n`` = configurations); see :mod:`farm.agentic.sensitivity`.
    """

    __tablename__ = "run_scores"
    # scorer_errors (0005) is a server default left unread on insert, so rows can be
    # written to a schema of before 0005 (migration tests write through the ORM).
    __mapper_args__ = {"eager_defaults": False}  # noqa: RUF012

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True, default="category")
    n: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    scorer_errors: Mapped[int] = mapped_column(Integer, server_default="0")
    accuracy: Mapped[float] = mapped_column(Float, default=0.0)
    ran: Mapped[bool] = mapped_column(Boolean, default=True)


class RunStats(Base):
    """Latency and token summary of a run, written with its scores (BFCL section 4.4).

    Latency figures cover the non-zero per-case latencies only: ``latency_n`` of them, their
    mean, sample standard deviation (None below two points), 95th percentile (linear
    interpolation) and sum. Token counts are sums over every result of the run;
    ``truncated`` counts its answers cut by the token limit (``inference:output_truncated``).
    """

    __tablename__ = "run_stats"

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    latency_n: Mapped[int] = mapped_column(Integer, default=0)
    latency_mean: Mapped[float | None] = mapped_column(Float)
    latency_std: Mapped[float | None] = mapped_column(Float)
    latency_p95: Mapped[float | None] = mapped_column(Float)
    latency_total_s: Mapped[float] = mapped_column(Float, default=0.0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    truncated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WebSearch(Base):
    """One web search as a provider answered it (the web store; BFCL's ``search_engine_query``).

    ``key`` is the SHA-256 of the canonical JSON of (provider, query, region, max_results);
    ``results`` holds the provider's results as ``{title, link, snippet}`` objects (before
    the tool drops snippets), ``error`` the provider's error text when it gave none.
    """

    __tablename__ = "web_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    provider: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(50))
    max_results: Mapped[int | None] = mapped_column(Integer)
    results: Mapped[list[Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    searched_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebPage(Base):
    """One fetched page in one mode (the web store; BFCL's ``fetch_url_content``).

    ``key`` is the SHA-256 of the canonical JSON of (url, mode). ``content`` is the tool's
    content for that mode, ``error`` its error text; ``status`` the final HTTP status,
    ``final_url`` the URL after redirects, ``elapsed_ms`` the fetch time.
    """

    __tablename__ = "web_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(20))
    content: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebUsage(Base):
    """Web tool use of one shard of a run: searches and fetches, live or from the store."""

    __tablename__ = "web_usage"

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    shard_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    searches: Mapped[int] = mapped_column(Integer, default=0, doc="Provider calls made.")
    searches_stored: Mapped[int] = mapped_column(Integer, default=0)
    fetches: Mapped[int] = mapped_column(Integer, default=0, doc="Pages fetched live.")
    fetches_stored: Mapped[int] = mapped_column(Integer, default=0)
    replay_misses: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)


class MemorySnapshotRow(Base):
    """A memory backend's state after one step of a scenario's prerequisite chain in a run.

    ``step`` is the index of the prerequisite conversation in its chain; a question starts
    from the row of its scenario with the highest step. ``state`` is
    :class:`farm.agentic.memory.backends.MemorySnapshot` JSON. The conversation's transcript
    is kept here, not in ``results`` (prerequisites are never scored): ``raw_output`` in
    BFCL's multi-turn ``result`` shape, ``call_info`` with its ``tool_results``, latency and
    tokens (NULL for rows stored before migration 0011).
    """

    __tablename__ = "memory_snapshots"
    __table_args__ = (UniqueConstraint("run_id", "category", "scenario", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(100))
    scenario: Mapped[str] = mapped_column(String(100))
    step: Mapped[int] = mapped_column(Integer)
    prereq_id: Mapped[str] = mapped_column(String(300))
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    raw_output: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    call_info: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    input_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
