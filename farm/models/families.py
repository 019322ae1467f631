"""Built-in models per family, served by the farm's own vLLM (or SGLang) on GPU workers.

Each preset says how vLLM must be started for tool calling to work: the tool-call parser,
the chat template where the tokenizer's own cannot express tools, the reasoning parser, and
whether FC mode is possible at all. Parser names are checked against vLLM
:data:`PARSERS_CHECKED_AGAINST` (the version docker/worker.Dockerfile pins); see
``workers.serving.vllm.VLLM_TOOL_PARSERS`` and ``farm models presets``.

Chat templates named by file name (``tool_chat_template_*.jinja``) are vLLM's examples: they
are looked up in the model directory, ``FARM_CHAT_TEMPLATE_DIR`` and the vLLM image's
``/vllm-workspace/examples`` (see :func:`workers.serving.spec.resolve_chat_template`).

Families (reference: serving-and-queue.md 1.3 and 1.4):

* Qwen2.5 and Qwen3 (dense and MoE): ``hermes``; Qwen3 adds the ``qwen3`` reasoning parser.
* Qwen3-Coder: ``qwen3_coder``.
* Llama 3.1 / 3.3: ``llama3_json`` with vLLM's Llama 3.1 JSON template; Llama 3.2: its own
  JSON template. Llama 3 emits no parallel calls.
* Llama 4: ``llama4_pythonic`` with its template.
* Mistral: ``mistral`` with the mistral tokenizer mode.
* GLM-4.5 / 4.5-Air / 4.6: ``glm45`` parser and reasoning parser.
* GLM-4-9B-chat: no vLLM parser exists (and named tool choice would leak the answer), so it
  runs in FC mode with client-side parsing: requests send ``tool_choice: "none"`` (vLLM
  refuses ``auto`` without a parser, and still renders the tools with ``none``), its chat
  template renders the tools, the farm decodes its replies, a name line and a JSON object
  (call format ``glm4``).
* DeepSeek V3 (0324) and V3.1: ``deepseek_v3`` / ``deepseek_v31`` with their templates.
* Others: Hermes 3, gpt-oss, Kimi-K2, Granite 3.x, Phi-4-mini, xLAM-2, InternLM 2.5,
  MiniMax-M2, Seed-OSS, Hunyuan-A13B.

Each family preset names its call format (:mod:`farm.formats.families`): the server's
``tool_calls`` are used when present, else calls in the family's syntax are parsed from the
reply text by the client and the result records ``parsed_by: client``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from farm.backends import server_backend_info
from farm.config import Settings
from farm.models.registry import ModelSpec, lookup_model, preset, preset_names

#: The vLLM release whose ``--tool-call-parser`` list the presets are checked against.
PARSERS_CHECKED_AGAINST = "0.12.0"

#: ``--tool-call-parser`` choices of that release (``vllm serve --help``).
VLLM_TOOL_PARSERS: frozenset[str] = frozenset(
    """deepseek_v3 deepseek_v31 ernie45 glm45 granite granite-20b-fc hermes hunyuan_a13b
    internlm jamba kimi_k2 llama3_json llama4_json llama4_pythonic longcat minimax minimax_m2
    mistral olmo3 openai phi4_mini_json pythonic qwen3_coder qwen3_xml seed_oss step3
    xlam""".split()
)

#: ``--reasoning-parser`` names of that release that the presets use.
VLLM_REASONING_PARSERS: frozenset[str] = frozenset(
    "deepseek_r1 deepseek_v3 glm45 granite hunyuan_a13b openai_gptoss qwen3 step3".split()
)


@dataclass(frozen=True)
class _Family:
    """Serving settings shared by the models of one family."""

    parser: str | None
    call_format: str | None = None
    mode: str = "fc"
    tool_choice: str = "auto"
    template: str | None = None
    reasoning: str | None = None
    trust_remote_code: bool = False
    max_model_len: int | None = 32768
    extra_args: tuple[str, ...] = field(default_factory=tuple)


def _register(key: str, hf_id: str, family: _Family, *, tp: int = 1, name: str = "") -> None:
    """Register preset ``key`` serving Hub repository ``hf_id`` with ``family`` settings."""

    @preset(key)
    def factory() -> ModelSpec:
        return ModelSpec(
            key=key,
            display_name=name or hf_id.split("/")[-1],
            backend="vllm",
            mode=family.call_format or ("prompt" if family.mode == "prompt" else "fc"),
            served_name=hf_id,
            model_path=hf_id,
            tool_call_parser=family.parser,
            tool_choice="none" if family.tool_choice == "none" else "auto",
            chat_template=family.template,
            reasoning_parser=family.reasoning,
            max_model_len=family.max_model_len,
            tensor_parallel_size=tp,
            trust_remote_code=family.trust_remote_code,
            extra_args=list(family.extra_args),
        )


QWEN25 = _Family(parser="hermes", call_format="hermes")
QWEN3 = _Family(parser="hermes", call_format="hermes", reasoning="qwen3")
QWEN3_CODER = _Family(parser="qwen3_coder", call_format="qwen3_coder")
LLAMA31 = _Family(
    parser="llama3_json",
    call_format="llama3_json",
    template="tool_chat_template_llama3.1_json.jinja",
)
LLAMA32 = _Family(
    parser="llama3_json",
    call_format="llama3_json",
    template="tool_chat_template_llama3.2_json.jinja",
)
LLAMA4 = _Family(
    parser="llama4_pythonic",
    call_format="pythonic",
    template="tool_chat_template_llama4_pythonic.jinja",
)
MISTRAL = _Family(
    parser="mistral", call_format="mistral", extra_args=("--tokenizer-mode", "mistral")
)
GLM45 = _Family(parser="glm45", call_format="glm45", reasoning="glm45")
# vLLM answers 400 to tool_choice auto without a parser; "none" still renders the tools
# into the prompt (serving-and-queue.md 1.4), and the farm parses the reply text.
GLM4_CHAT = _Family(parser=None, call_format="glm4", tool_choice="none", trust_remote_code=True)
DEEPSEEK_V3 = _Family(parser="deepseek_v3", template="tool_chat_template_deepseekv3.jinja")
DEEPSEEK_V31 = _Family(parser="deepseek_v31", template="tool_chat_template_deepseekv31.jinja")
HERMES = _Family(parser="hermes", call_format="hermes")
GPT_OSS = _Family(parser="openai", reasoning="openai_gptoss")
KIMI_K2 = _Family(parser="kimi_k2", trust_remote_code=True)
GRANITE = _Family(parser="granite")
PHI4_MINI = _Family(parser="phi4_mini_json")
XLAM = _Family(parser="xlam", template="tool_chat_template_xlam_llama.jinja")
INTERNLM = _Family(
    parser="internlm", template="tool_chat_template_internlm2_tool.jinja", trust_remote_code=True
)
MINIMAX_M2 = _Family(parser="minimax_m2", trust_remote_code=True)
SEED_OSS = _Family(parser="seed_oss", trust_remote_code=True)
HUNYUAN = _Family(parser="hunyuan_a13b", reasoning="hunyuan_a13b", trust_remote_code=True)

_register("qwen2.5-7b-instruct", "Qwen/Qwen2.5-7B-Instruct", QWEN25)
_register("qwen2.5-14b-instruct", "Qwen/Qwen2.5-14B-Instruct", QWEN25)
_register("qwen2.5-32b-instruct", "Qwen/Qwen2.5-32B-Instruct", QWEN25, tp=2)
_register("qwen2.5-72b-instruct", "Qwen/Qwen2.5-72B-Instruct", QWEN25, tp=4)
_register("qwen3-4b", "Qwen/Qwen3-4B", QWEN3)
_register("qwen3-8b", "Qwen/Qwen3-8B", QWEN3)
_register("qwen3-14b", "Qwen/Qwen3-14B", QWEN3)
_register("qwen3-32b", "Qwen/Qwen3-32B", QWEN3, tp=2)
_register("qwen3-30b-a3b", "Qwen/Qwen3-30B-A3B", QWEN3, tp=2)
_register("qwen3-235b-a22b", "Qwen/Qwen3-235B-A22B", QWEN3, tp=8)
_register("qwen3-coder-30b-a3b", "Qwen/Qwen3-Coder-30B-A3B-Instruct", QWEN3_CODER, tp=2)
_register("llama-3.1-8b-instruct", "meta-llama/Llama-3.1-8B-Instruct", LLAMA31)
_register("llama-3.1-70b-instruct", "meta-llama/Llama-3.1-70B-Instruct", LLAMA31, tp=4)
_register("llama-3.2-3b-instruct", "meta-llama/Llama-3.2-3B-Instruct", LLAMA32)
_register("llama-3.3-70b-instruct", "meta-llama/Llama-3.3-70B-Instruct", LLAMA31, tp=4)
_register(
    "llama-4-scout-17b-16e-instruct", "meta-llama/Llama-4-Scout-17B-16E-Instruct", LLAMA4, tp=4
)
_register("mistral-7b-instruct-v0.3", "mistralai/Mistral-7B-Instruct-v0.3", MISTRAL)
_register("mistral-nemo-instruct-2407", "mistralai/Mistral-Nemo-Instruct-2407", MISTRAL)
_register("mistral-small-24b-instruct-2501", "mistralai/Mistral-Small-24B-Instruct-2501", MISTRAL)
_register("glm-4.5", "zai-org/GLM-4.5", GLM45, tp=8)
_register("glm-4.5-air", "zai-org/GLM-4.5-Air", GLM45, tp=4)
_register("glm-4.6", "zai-org/GLM-4.6", GLM45, tp=8)
_register("glm-4-9b-chat", "THUDM/glm-4-9b-chat", GLM4_CHAT)
_register("deepseek-v3-0324", "deepseek-ai/DeepSeek-V3-0324", DEEPSEEK_V3, tp=8)
_register("deepseek-v3.1", "deepseek-ai/DeepSeek-V3.1", DEEPSEEK_V31, tp=8)
_register("hermes-3-llama-3.1-8b", "NousResearch/Hermes-3-Llama-3.1-8B", HERMES)
_register("gpt-oss-20b", "openai/gpt-oss-20b", GPT_OSS)
_register("gpt-oss-120b", "openai/gpt-oss-120b", GPT_OSS, tp=2)
_register("kimi-k2-instruct", "moonshotai/Kimi-K2-Instruct", KIMI_K2, tp=8)
_register("granite-3.1-8b-instruct", "ibm-granite/granite-3.1-8b-instruct", GRANITE)
_register("phi-4-mini-instruct", "microsoft/Phi-4-mini-instruct", PHI4_MINI)
_register("xlam-2-8b-fc-r", "Salesforce/Llama-xLAM-2-8b-fc-r", XLAM)
_register("internlm2.5-7b-chat", "internlm/internlm2_5-7b-chat", INTERNLM)
_register("minimax-m2", "MiniMaxAI/MiniMax-M2", MINIMAX_M2, tp=4)
_register("seed-oss-36b-instruct", "ByteDance-Seed/Seed-OSS-36B-Instruct", SEED_OSS, tp=2)
_register("hunyuan-a13b-instruct", "tencent/Hunyuan-A13B-Instruct", HUNYUAN, tp=2)


#: Store name of Qwen2.5-Coder-0.5B-Instruct at Q4_K_M (import the GGUF under this name).
QWEN_CODER_GGUF_STORE = "qwen2.5-coder-0.5b-instruct-q4_k_m"


@preset("qwen2.5-coder-0.5b-instruct-gguf")
def qwen_coder_gguf() -> ModelSpec:
    """Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF, served by llama.cpp on a CPU host.

    Its file is ``qwen2.5-coder-0.5b-instruct-q4_k_m.gguf`` of the Hub repository
    ``Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF``: ``farm models import FILE --name
    qwen2.5-coder-0.5b-instruct-q4_k_m``. Prompt mode: without a client-side parser for its
    family, its calls come back as JSON text, not as tool calls.
    """
    return ModelSpec(
        key="qwen2.5-coder-0.5b-instruct-gguf",
        display_name="Qwen2.5-Coder-0.5B-Instruct (Q4_K_M, llama.cpp)",
        backend="llama.cpp",
        mode="prompt",
        served_name="qwen2.5-coder-0.5b-instruct",
        store_name=QWEN_CODER_GGUF_STORE,
        max_model_len=8192,
        max_num_seqs=2,
        max_concurrency=4,
    )


def preset_rows(settings: Settings) -> list[dict[str, Any]]:
    """Every preset with its serving settings, for ``farm models presets``.

    ``parser_known`` is False when a vLLM-served preset names a tool-call parser missing
    from :data:`VLLM_TOOL_PARSERS` (None for models the farm does not serve, or serves with a
    backend that takes no parser names).
    """
    rows = []
    for name in preset_names():
        spec = lookup_model(settings, name)
        server = server_backend_info(spec.backend)
        served = server is not None and server.tool_call_parsers
        known = spec.tool_call_parser in VLLM_TOOL_PARSERS if spec.tool_call_parser else None
        rows.append(
            {
                "name": name,
                "backend": spec.backend,
                "mode": spec.mode,
                "served_name": spec.request_model,
                "tool_call_parser": spec.tool_call_parser,
                "call_format": spec.mode,
                "parser_known": known if served else None,
                "chat_template": spec.chat_template,
                "reasoning_parser": spec.reasoning_parser,
                "max_model_len": spec.max_model_len,
                "tensor_parallel_size": spec.tensor_parallel_size,
                "trust_remote_code": spec.trust_remote_code,
            }
        )
    return rows
