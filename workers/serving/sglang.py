"""SGLang's server (``python -m sglang.launch_server``): command line and environment.

SGLang takes one served name only, so a launch is identified by its served name (and its
process environment) rather than by a nonce alias; SGLang does not share ports the way vLLM
does (``SO_REUSEPORT``), so a clash makes it exit, which startup reports.
"""

from __future__ import annotations

from collections.abc import Sequence

from workers.serving.backend import ServerBackend, check_extra_args
from workers.serving.spec import LaunchSpec

#: vLLM tool-call parser name -> SGLang's name for the same format.
SGLANG_PARSER_FOR: dict[str, str] = {
    "hermes": "qwen25",
    "llama3_json": "llama3",
    "llama4_pythonic": "pythonic",
    "pythonic": "pythonic",
    "mistral": "mistral",
    "deepseek_v3": "deepseekv3",
    "deepseek_v31": "deepseekv31",
    "glm45": "glm45",
    "qwen3_coder": "qwen3_coder",
    "kimi_k2": "kimi_k2",
    "openai": "gpt-oss",
    "step3": "step3",
    "minimax_m2": "minimax-m2",
}


#: vLLM reasoning parser name -> SGLang's.
SGLANG_REASONING_FOR: dict[str, str] = {
    "deepseek_r1": "deepseek-r1",
    "deepseek_v3": "deepseek-v3",
    "openai_gptoss": "gpt-oss",
    "qwen3": "qwen3",
    "glm45": "glm45",
    "step3": "step3",
}


class SglangBackend(ServerBackend):
    """``python -m sglang.launch_server --model-path M``."""

    default_launcher = ("-m", "sglang.launch_server")
    nonce_alias = False

    def command(
        self,
        spec: LaunchSpec,
        *,
        nonce_name: str,
        host: str,
        port: int,
        launcher: Sequence[str] | None = None,
    ) -> list[str]:
        """The SGLang command line for ``spec`` (parser names translated from vLLM's)."""
        check_extra_args(spec)
        cmd = [*self.launcher(launcher), "--model-path", spec.model]
        cmd += ["--host", host, "--port", str(port), "--served-model-name", spec.served_name]
        if spec.tool_call_parser:
            parser = SGLANG_PARSER_FOR.get(spec.tool_call_parser, spec.tool_call_parser)
            cmd += ["--tool-call-parser", parser]
        if spec.chat_template:
            cmd += ["--chat-template", spec.chat_template]
        if spec.reasoning_parser:
            reasoning = SGLANG_REASONING_FOR.get(spec.reasoning_parser, spec.reasoning_parser)
            cmd += ["--reasoning-parser", reasoning]
        if spec.max_model_len:
            cmd += ["--context-length", str(spec.max_model_len)]
        if spec.max_num_seqs:
            cmd += ["--max-running-requests", str(spec.max_num_seqs)]
        cmd += ["--tp", str(spec.tensor_parallel_size)]
        cmd += ["--mem-fraction-static", f"{spec.gpu_memory_utilization:g}"]
        if spec.trust_remote_code:
            cmd.append("--trust-remote-code")
        return cmd + list(spec.extra_args)
