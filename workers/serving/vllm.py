"""vLLM's OpenAI-compatible server: command line and environment.

The parser names below are those of vLLM 0.12.0 (the version the worker image pins);
``farm models presets`` checks every family preset against them.
"""

from __future__ import annotations

from collections.abc import Sequence

from workers.serving.backend import ServerBackend, check_extra_args, server_backend
from workers.serving.spec import LaunchSpec

#: The vLLM release the parser lists are checked against (docker/worker.Dockerfile pins it).
VLLM_VERSION = "0.12.0"

#: ``--tool-call-parser`` choices of that release.
VLLM_TOOL_PARSERS: frozenset[str] = frozenset(
    {
        "deepseek_v3",
        "deepseek_v31",
        "ernie45",
        "glm45",
        "granite",
        "granite-20b-fc",
        "hermes",
        "hunyuan_a13b",
        "internlm",
        "jamba",
        "kimi_k2",
        "llama3_json",
        "llama4_json",
        "llama4_pythonic",
        "longcat",
        "minimax",
        "minimax_m2",
        "mistral",
        "olmo3",
        "openai",
        "phi4_mini_json",
        "pythonic",
        "qwen3_coder",
        "qwen3_xml",
        "seed_oss",
        "step3",
        "xlam",
    }
)

#: ``--reasoning-parser`` choices the presets use (a subset of that release's list).
VLLM_REASONING_PARSERS: frozenset[str] = frozenset(
    {"deepseek_r1", "deepseek_v3", "glm45", "qwen3", "openai_gptoss", "granite", "step3"}
)


class VllmBackend(ServerBackend):
    """``python -m vllm.entrypoints.openai.api_server --model M`` (or ``vllm serve M``)."""

    name = "vllm"
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
        cmd += ["--tensor-parallel-size", str(spec.tensor_parallel_size)]
        cmd += ["--gpu-memory-utilization", f"{spec.gpu_memory_utilization:g}"]
        if spec.trust_remote_code:
            cmd.append("--trust-remote-code")
        return cmd + list(spec.extra_args)

    def environment(
        self, spec: LaunchSpec, *, devices: Sequence[int] | None, ready_timeout: float
    ) -> dict[str, str]:
        """Adds no-telemetry and an engine-ready timeout matching the farm's deadline."""
        env = super().environment(spec, devices=devices, ready_timeout=ready_timeout)
        env["VLLM_NO_USAGE_STATS"] = "1"
        env["VLLM_ENGINE_READY_TIMEOUT_S"] = str(max(60, int(ready_timeout)))
        return env


@server_backend("vllm")
def _vllm() -> ServerBackend:
    return VllmBackend()
