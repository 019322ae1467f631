"""vLLM's OpenAI-compatible server: command line and environment.

The parser names the presets use are checked against vLLM's list for the pinned release
(:data:`VLLM_TOOL_PARSERS`, kept with the presets in :mod:`farm.models.families`).
"""

from __future__ import annotations

from collections.abc import Sequence

from farm.models.families import (
    PARSERS_CHECKED_AGAINST,
    VLLM_REASONING_PARSERS,
    VLLM_TOOL_PARSERS,
)
from workers.serving.backend import ServerBackend, check_extra_args
from workers.serving.spec import LaunchSpec

__all__ = ["VLLM_REASONING_PARSERS", "VLLM_TOOL_PARSERS", "VLLM_VERSION", "VllmBackend"]

#: The vLLM release the parser lists are checked against (docker/worker.Dockerfile pins it).
VLLM_VERSION = PARSERS_CHECKED_AGAINST


class VllmBackend(ServerBackend):
    """``python -m vllm.entrypoints.openai.api_server --model M`` (or ``vllm serve M``)."""

    default_launcher = ("-m", "vllm.entrypoints.openai.api_server")
    nonce_alias = True

    def command(
        self,
        spec: LaunchSpec,
        *,
        nonce_name: str,
        host: str,
        port: int,
        launcher: Sequence[str] | None = None,
    ) -> list[str]:
        """The vLLM command line for ``spec``; see the module docstring."""
        check_extra_args(spec)
        prefix = self.launcher(launcher)
        # `vllm serve` takes the model as a positional argument; the module takes --model.
        cmd = [*prefix, spec.model] if prefix[-1] == "serve" else [*prefix, "--model", spec.model]
        cmd += ["--host", host, "--port", str(port)]
        cmd += ["--served-model-name", spec.served_name, nonce_name]
        if not any(a.split("=", 1)[0] == "--generation-config" for a in spec.extra_args):
            # Evaluation hygiene: never let a repo's generation_config.json change sampling.
            cmd += ["--generation-config", "vllm"]
        if spec.tool_call_parser:
            cmd += ["--enable-auto-tool-choice", "--tool-call-parser", spec.tool_call_parser]
        if spec.chat_template:
            cmd += ["--chat-template", spec.chat_template]
        if spec.reasoning_parser:
            cmd += ["--reasoning-parser", spec.reasoning_parser]
        if spec.max_model_len:
            cmd += ["--max-model-len", str(spec.max_model_len)]
        if spec.max_num_seqs:
            cmd += ["--max-num-seqs", str(spec.max_num_seqs)]
        cmd += ["--tensor-parallel-size", str(spec.tensor_parallel_size)]
        cmd += ["--gpu-memory-utilization", f"{spec.gpu_memory_utilization:g}"]
        if spec.trust_remote_code:
            cmd.append("--trust-remote-code")
        return cmd + list(spec.extra_args)

    def environment(
        self, spec: LaunchSpec, *, devices: Sequence[int | str] | None, ready_timeout: float
    ) -> dict[str, str]:
        """Adds no-telemetry and an engine-ready timeout matching the farm's deadline."""
        env = super().environment(spec, devices=devices, ready_timeout=ready_timeout)
        env["VLLM_NO_USAGE_STATS"] = "1"
        env["VLLM_ENGINE_READY_TIMEOUT_S"] = str(max(60, int(ready_timeout)))
        return env
