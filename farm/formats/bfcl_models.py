"""BFCL registry model names -> the call format that decodes their result files as BFCL does.

BFCL decodes each model's results with that model's handler (``bfcl_eval/constants/
model_config.py`` names the handler of each registry name; the handlers' ``decode_ast``
are the facts below). ``farm evaluate --bfcl-results DIR --model NAME`` looks NAME up here
when neither ``--mode`` nor ``--call-format`` is given. Models whose handlers decode
formats the farm does not read (Cohere, Hammer, Granite, xLAM, Phi FC, Gemini in prompt
mode, ...) are not listed: give ``--mode`` or ``--call-format``, or score them with BFCL.

Checked against bfcl-eval 2026.3.23.
"""

from __future__ import annotations

_BY_FORMAT: dict[str, tuple[str, ...]] = {
    # OpenAI-style tool calls stored as ``{name: arguments_json}`` (OpenAI, Claude,
    # Mistral API, DeepSeek, Grok, Kimi, GLM API, Qwen API, ... handlers).
    "fc": (
        "DeepSeek-V3.2-Exp-FC",
        "gpt-5.2-2025-12-11-FC",
        "gpt-5-mini-2025-08-07-FC",
        "gpt-5-nano-2025-08-07-FC",
        "gpt-4.1-2025-04-14-FC",
        "gpt-4.1-mini-2025-04-14-FC",
        "gpt-4.1-nano-2025-04-14-FC",
        "gpt-4o-2024-11-20-FC",
        "gpt-4o-mini-2024-07-18-FC",
        "o3-2025-04-16-FC",
        "o4-mini-2025-04-16-FC",
        "claude-opus-4-5-20251101-FC",
        "claude-sonnet-4-5-20250929-FC",
        "claude-haiku-4-5-20251001-FC",
        "open-mistral-nemo-2407-FC",
        "mistral-large-2411-FC",
        "mistral-small-2506-FC",
        "mistral-medium-2505-FC",
        "firefunction-v2-FC",
        "meetkai/functionary-small-v3.1-FC",
        "meetkai/functionary-medium-v3.1-FC",
        "palmyra-x-004",
        "grok-4-0709-FC",
        "grok-4-1-fast-reasoning-FC",
        "grok-4-1-fast-non-reasoning-FC",
        "qwen3-0.6b-FC",
        "qwen3-1.7b-FC",
        "qwen3-4b-FC",
        "qwen3-8b-FC",
        "qwen3-14b-FC",
        "qwen3-32b-FC",
        "qwen3-30b-a3b-instruct-2507-FC",
        "qwen3-235b-a22b-instruct-2507-FC",
        "qwq-32b-FC",
        "glm-4.6-FC",
        "glm-4.5-FC",
        "glm-4.5-air-FC",
        "kimi-k2-0905-preview-FC",
        "Nanbeige3.5-Pro-Thinking-FC",
        "openbmb/MiniCPM-SALA-FC",
        "meta-llama/llama-4-maverick-17b-128e-instruct-fp8-FC-novita",
        "meta-llama/llama-4-scout-17b-16e-instruct-FC-novita",
        "qwen/qwq-32b-FC-novita",
        "qwen3-4b-think-FC",
        "qwen3-4b-nothink-FC",
    ),
    # BFCL's default prompt decoder (Python, Java or JavaScript call syntax): prompt-mode
    # API models and the OSS handlers that keep it (Qwen, Llama 3.2/3.3/4 ``LlamaHandler``
    # in both modes, Gemma, MiniCPM, ...).
    "prompt": (
        "DeepSeek-V3.2-Exp",
        "DeepSeek-V3.2-Exp-thinking",
        "gpt-5.2-2025-12-11",
        "gpt-5-mini-2025-08-07",
        "gpt-5-nano-2025-08-07",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-11-20",
        "gpt-4o-mini-2024-07-18",
        "o3-2025-04-16",
        "o4-mini-2025-04-16",
        "claude-opus-4-5-20251101",
        "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5-20251001",
        "open-mistral-nemo-2407",
        "mistral-large-2411",
        "mistral-small-2506",
        "mistral-medium-2505",
        "BitAgent/GoGoAgent",
        "grok-4-0709",
        "qwen3-0.6b",
        "qwen3-1.7b",
        "qwen3-4b",
        "qwen3-8b",
        "qwen3-14b",
        "qwen3-32b",
        "qwen3-30b-a3b-instruct-2507",
        "qwen3-235b-a22b-instruct-2507",
        "qwq-32b",
        "Ling/ling-lite-v1.5",
        "kimi-k2-0905-preview",
        "deepseek-ai/DeepSeek-R1",
        "google/gemma-3-1b-it",
        "google/gemma-3-4b-it",
        "google/gemma-3-12b-it",
        "google/gemma-3-27b-it",
        "meta-llama/Llama-3.1-8B-Instruct",
        "meta-llama/Llama-3.1-70B-Instruct",
        "meta-llama/Llama-3.2-1B-Instruct-FC",
        "meta-llama/Llama-3.2-3B-Instruct-FC",
        "meta-llama/Llama-3.3-70B-Instruct-FC",
        "meta-llama/Llama-4-Scout-17B-16E-Instruct-FC",
        "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8-FC",
        "Qwen/Qwen3-0.6B",
        "Qwen/Qwen3-1.7B",
        "Qwen/Qwen3-4B-Instruct-2507",
        "Qwen/Qwen3-8B",
        "Qwen/Qwen3-14B",
        "Qwen/Qwen3-32B",
        "Qwen/Qwen3-30B-A3B-Instruct-2507",
        "Qwen/Qwen3-235B-A22B-Instruct-2507",
        "Team-ACE/ToolACE-2-8B",
        "openbmb/MiniCPM3-4B",
        "watt-ai/watt-tool-8B",
        "watt-ai/watt-tool-70B",
        "ZJared/Haha-7B",
        "speakleash/Bielik-11B-v2.3-Instruct",
        "NovaSky-AI/Sky-T1-32B-Preview",
        "uiuc-convai/CoALM-8B",
        "uiuc-convai/CoALM-70B",
        "uiuc-convai/CoALM-405B",
        "BitAgent/BitAgent-8B",
        "phronetic-ai/RZN-T",
        "meta-llama/llama-4-maverick-17b-128e-instruct-fp8-novita",
        "meta-llama/llama-4-scout-17b-16e-instruct-novita",
        "qwen/qwq-32b-novita",
    ),
    # ``QwenFCHandler``: raw ``<tool_call>`` text.
    "hermes": (
        "Qwen/Qwen3-0.6B-FC",
        "Qwen/Qwen3-1.7B-FC",
        "Qwen/Qwen3-4B-Instruct-2507-FC",
        "Qwen/Qwen3-8B-FC",
        "Qwen/Qwen3-14B-FC",
        "Qwen/Qwen3-32B-FC",
        "Qwen/Qwen3-30B-A3B-Instruct-2507-FC",
        "Qwen/Qwen3-235B-A22B-Instruct-2507-FC",
    ),
    # ``GLMHandler``: a name line, then a JSON object line; first call only.
    "glm4_bfcl": ("THUDM/glm-4-9b-chat",),
    # ``LlamaHandler_3_1``: ``{"name", "parameters"}`` with ``<|python_tag|>``.
    "llama3_json": (
        "meta-llama/Llama-3.1-8B-Instruct-FC",
        "meta-llama/Llama-3.1-70B-Instruct-FC",
    ),
    # calls decoded at inference time: ``GeminiHandler`` (FC), ``NovaHandler``,
    # ``MistralFCHandler``.
    "decoded": (
        "nova-pro-v1.0",
        "nova-2-lite-v1.0",
        "nova-micro-v1.0",
        "gemini-2.5-flash-lite-FC",
        "gemini-2.5-flash-FC",
        "gemini-3-pro-preview-FC",
        "gemini-3.1-flash-lite-preview-FC",
        "mistralai/Ministral-8B-Instruct-2410",
    ),
}

#: Registry name -> call format (``fc``, ``prompt`` or a family of
#: :mod:`farm.formats.families`).
BFCL_MODEL_FORMATS: dict[str, str] = {
    name: fmt for fmt, names in _BY_FORMAT.items() for name in names
}


def bfcl_model_format(model: str) -> str | None:
    """The call format of BFCL registry model ``model`` (exact name, then any case), or None."""
    if model in BFCL_MODEL_FORMATS:
        return BFCL_MODEL_FORMATS[model]
    folded = model.casefold()
    for name, fmt in BFCL_MODEL_FORMATS.items():
        if name.casefold() == folded:
            return fmt
    return None
