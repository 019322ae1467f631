"""The one exception tree of the farm.

Every error a user can cause or meet is a :class:`FarmError`; the CLI catches it at the top
and prints one line. Foreign exceptions (httpx, openai, SQLAlchemy, zipfile, ...) are mapped
to these classes at the boundary where they occur, with ``raise ... from exc``, so that retry
and reporting code matches on our classes only::

    FarmError
    ├── ConfigError            bad settings, unknown model, bad command-line combination
    ├── SuiteError             malformed suite files, unknown suite, category or case
    ├── SubmitError            a run cannot be planned or enqueued
    ├── RunError               unknown run, run in the wrong state for the request
    ├── EndpointError          a model endpoint failed
    │   ├── EndpointTransient  timeouts, connection drops, 429, 5xx: retried with backoff
    │   ├── EndpointPermanent  4xx and protocol violations: final, recorded as an error row
    │   └── EndpointDead       every request so far failed: the run or worker stops at once
    ├── ServingError           a model server the farm hosts failed to start or stop
    ├── ModelStoreError        the offline model store is missing or corrupt
    ├── ScoringError           a scorer bug (never a bad model output: that is a verdict)
    ├── BrokerError            the task broker cannot be reached
    └── StorageError           the database cannot be reached or rejected a write
"""

from __future__ import annotations


class FarmError(Exception):
    """Base class of every error the farm raises on purpose.

    The message is one line that tells the user what went wrong and, where possible, what
    to do about it. ``exit_code`` is the process exit status the CLI uses.
    """

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(FarmError):
    """Invalid settings, an unknown model, or options that do not go together."""

    exit_code = 2


class SuiteError(FarmError):
    """A suite or its files are unknown, malformed or inconsistent."""

    exit_code = 2


class UntrustedSourceError(SuiteError):
    """Multi-turn environment source whose sha256 is not trusted (farm.suites.trust)."""


class SubmitError(FarmError):
    """A run cannot be planned or enqueued."""


class RunError(FarmError):
    """A run is unknown or in a state that does not allow the request."""


class EndpointError(FarmError):
    """A model endpoint failed to answer a request."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EndpointTransient(EndpointError):
    """A failure worth retrying: timeout, dropped connection, HTTP 429 or 5xx."""


class EndpointPermanent(EndpointError):
    """A failure that a retry cannot fix: HTTP 4xx or a malformed response."""


class EndpointDead(EndpointError):
    """An endpoint failed every request so far (see :class:`farm.failures.Breaker`)."""


class ServingError(FarmError):
    """A model server that the farm launches failed to start, or to stop."""


class ModelStoreError(FarmError):
    """The offline model store is missing files or holds corrupt ones."""


class ScoringError(FarmError):
    """The scorer itself failed. Bad model output is a verdict, never this error."""


class BrokerError(FarmError):
    """The task broker cannot be reached."""


class StorageError(FarmError):
    """The database cannot be reached, is not migrated, or rejected a write."""
