"""Generic built-in models: the simulator and the in-process fake.

Model-family presets (served with vLLM or SGLang) live in :mod:`farm.models.families` and use
the same :func:`~farm.models.registry.preset` decorator.
"""

from __future__ import annotations

from farm.models.registry import EndpointConfig, ModelSpec, preset

#: The port ``farm simulate`` listens on by default.
SIMULATOR_PORT = 8765


@preset("simulator")
def simulator_fc() -> ModelSpec:
    """The farm's simulator (``farm simulate``) in FC mode, on its default port."""
    return ModelSpec(
        key="simulator",
        display_name="Simulator (FC)",
        backend="simulator",
        mode="fc",
        served_name="farm-simulator",
        endpoints=[EndpointConfig(base_url=f"http://127.0.0.1:{SIMULATOR_PORT}/v1")],
        # Twice the simulator's default capacity of 64: a queue at the server keeps every
        # slot busy while the client handles answers, as with vLLM's max_num_seqs.
        max_concurrency=128,
    )


@preset("simulator-prompt")
def simulator_prompt() -> ModelSpec:
    """The farm's simulator in prompt mode (BFCL's system prompt, Python call lists)."""
    return simulator_fc().model_copy(
        update={"key": "simulator-prompt", "display_name": "Simulator (Prompt)", "mode": "prompt"}
    )


@preset("fake/oracle")
def fake_oracle() -> ModelSpec:
    """A deterministic in-process model that answers every case from its ground truth."""
    return ModelSpec(
        key="fake/oracle",
        display_name="Fake oracle (FC)",
        backend="fake",
        mode="fc",
        served_name="oracle",
        max_concurrency=256,
    )


@preset("fake/oracle-prompt")
def fake_oracle_prompt() -> ModelSpec:
    """The fake oracle in prompt mode."""
    return fake_oracle().model_copy(
        update={
            "key": "fake/oracle-prompt",
            "display_name": "Fake oracle (Prompt)",
            "mode": "prompt",
        }
    )
