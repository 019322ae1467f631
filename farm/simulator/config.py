"""The simulator's settings."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from farm.errors import ConfigError

FaultKind = Literal["5xx", "drop", "hang"]


class SimulatorConfig(BaseModel):
    """How the simulated server behaves.

    Attributes:
        host: interface to bind (loopback by default).
        port: TCP port; 0 picks a free one.
        model_name: the served model name reported by ``/v1/models``.
        capacity: requests served at once; more wait in a queue, as in continuous batching.
        latency_s: seconds per request (prefill and scheduling).
        per_token_s: further seconds per generated token.
        wrong_rate: fraction of cases answered wrongly (a stable draw per seed and case).
        seed: seeds the wrong answers and the random faults.
        fault_rate: fraction of requests that meet a random fault of ``fault_kinds``.
        fault_kinds: the faults drawn from: HTTP 5xx, a dropped connection, a hang.
        fail_first: each distinct request fails this many times before it succeeds.
        fail_kind: the fault used by ``fail_first``.
        hang_s: how long a hang lasts.
        subprocess: run the server in a child process instead of a thread.
        call_style: how calls come back: ``tool_calls``, a protocol deviation or a family's
            text syntax (see :mod:`farm.simulator.styles`).
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", protected_namespaces=(), allow_inf_nan=False
    )

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, lt=65536)
    model_name: str = "farm-simulator"
    capacity: int = Field(default=64, ge=1)
    latency_s: float = Field(default=0.0, ge=0)
    per_token_s: float = Field(default=0.0, ge=0)
    wrong_rate: float = Field(default=0.0, ge=0, le=1)
    seed: int = 0
    fault_rate: float = Field(default=0.0, ge=0, le=1)
    fault_kinds: tuple[FaultKind, ...] = ("5xx",)
    fail_first: int = Field(default=0, ge=0)
    fail_kind: FaultKind = "5xx"
    hang_s: float = Field(default=3600.0, ge=0)
    subprocess: bool = False
    call_style: str = "tool_calls"

    @field_validator("call_style")
    @classmethod
    def _known_style(cls, value: str) -> str:
        from farm.simulator.styles import call_styles

        if value not in call_styles():
            raise ValueError(f"unknown call style {value!r}: one of {', '.join(call_styles())}")
        return value


#: The command-line option of each field whose name differs from ``--<field>``.
OPTION_NAMES = {
    "latency_s": "--latency",
    "per_token_s": "--per-token",
    "hang_s": "--hang",
    "fault_kinds": "--faults",
    "fail_kind": "--faults",
}


def checked_config(
    command: str, options: dict[str, str] | None = None, **fields: Any
) -> SimulatorConfig:
    """A :class:`SimulatorConfig` from command-line values, or one line naming the bad option.

    ``options`` maps a field to the option that set it when it is neither ``--<field>``
    (underscores as dashes) nor in :data:`OPTION_NAMES`.

    Raises:
        ConfigError: ``"<command>: <option>: <reason>"`` for the first invalid field
            (out of range, NaN or infinite, unknown call style or fault kind).
    """
    try:
        return SimulatorConfig(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        names = {**OPTION_NAMES, **(options or {})}
        option = names.get(field, "--" + field.replace("_", "-"))
        raise ConfigError(f"{command}: {option}: {first['msg']}") from exc
