"""BFCL's prompt-mode system prompt, byte for byte (bfcl.md 2.2).

The default configuration is ``ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&
prompt_fmt=plaintext&style=classic``; format-sensitivity ids carry another configuration
between colons (``<id>:<config>:<n>``). Return formats, tags, prompt formats and styles are
all supported; function docs are rendered as JSON, XML or Python
(:func:`farm.prompts.docs.function_doc`).
"""

from __future__ import annotations

import re
from typing import Any

from farm.errors import ConfigError
from farm.jsondata import json_copy
from farm.prompts.docs import function_doc

DEFAULT_FORMAT = (
    "ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&prompt_fmt=plaintext&style=classic"
)

_OUTPUT_FORMATS = {
    "python": (
        "[func_name1(params_name1=params_value1, params_name2=params_value2...), "
        "func_name2(params)]"
    ),
    "json": (
        '```json\n[{"function":"func_name1","parameters":{"param1":"value1",'
        '"param2":"value2"...}},{"function":"func_name2","parameters":{"param":"value"}}]\n```'
    ),
    "verbose_xml": (
        '<functions><function name="func_name1"><params><param name="param1" value="value1" '
        'type="type1"/><param name="param2" value="value2" type="type2"/>...</params>'
        '</function><function name="func_name2"><params><param name="param3" value="value3" '
        'type="type3"/></params></function></functions>'
    ),
    "concise_xml": (
        '<functions><function name="func_name1"><param name="param1" type="type1">value1'
        '</param><param name="param2" type="type2">value2</param>...</function><function '
        'name="func_name2"><param name="param3" type="type3">value</param></function>'
        "</functions>"
    ),
}

_XML_TYPES = (
    "The type fields of the parameters in your function calls must be one of: string, integer,"
    " float, boolean, array, dict, or tuple."
)
_PARAM_TYPES = {"python": "", "json": "", "verbose_xml": _XML_TYPES, "concise_xml": _XML_TYPES}

_STYLES: dict[str, dict[str, str]] = {
    "classic": {
        "persona": "You are an expert in composing functions.",
        "task": (
            "You are given a question and a set of possible functions. Based on the question,"
            " you will need to make one or more function/tool calls to achieve the purpose. If"
            " none of the functions can be used, point it out. If the given question lacks the"
            " parameters required by the function, also point it out."
        ),
        "no_tag": (
            "You should only return the function calls in your response.\n\nIf you decide to"
            " invoke any of the function(s), you MUST put it in the format of {output_format}."
            " {param_types} You SHOULD NOT include any other text in the response."
        ),
        "tag": (
            "You should only return the function calls in the <TOOLCALL> section. If you decide"
            " to invoke any of the function(s), you MUST put it in the format of"
            " <TOOLCALL>{output_format}</TOOLCALL>. {param_types} You SHOULD NOT include any"
            " other text in the response."
        ),
        "multiturn": (
            "At each turn, you should try your best to complete the tasks requested by the user"
            " within the current turn. Continue to output functions to call until you have"
            " fulfilled the user's request to the best of your ability. Once you have no more"
            " functions to call, the system will consider the current turn complete and proceed"
            " to the next turn or task."
        ),
        "tools": (
            "Here is a list of functions in {format} format that you can invoke.\n{functions}\n"
        ),
    },
    "experimental": {
        "persona": "You are an expert in generating structured function calls.",
        "task": (
            "You are given a user query and a set of available functions. Your task is to"
            " produce one or more function/tool calls to fulfill the user's request. If no"
            " suitable function exists, or required parameters are missing, clearly indicate"
            " this."
        ),
        "no_tag": (
            "Respond with only the function calls.\n\nYou MUST format it exactly as"
            " {output_format}. {param_types} Do NOT include any other text."
        ),
        "tag": (
            "Return only the function calls enclosed in <TOOLCALL> tags.\n\nYou MUST format it"
            " exactly as <TOOLCALL>{output_format}</TOOLCALL>. {param_types} Do NOT include any"
            " other text."
        ),
        "multiturn": (
            "At every turn, aim to complete the user's tasks within that turn. Continue"
            " emitting function calls until the request is satisfied to the best of your"
            " ability. Once no more calls are needed, the system will proceed to the next turn."
        ),
        "tools": "Below is a list of callable functions in the {format} style:\n{functions}\n",
    },
}

_TEMPLATES = {
    "plaintext": (
        "{persona}{task}\n\n{tool_call_format}\n\n{multiturn_behavior}\n\n{available_tools}"
    ),
    "markdown": (
        "{persona}\n\n## Task\n{task}\n\n## Tool Call Format\n{tool_call_format}\n\n"
        "## Multi-turn Behavior\n{multiturn_behavior}\n\n## Available Tools\n{available_tools}"
    ),
}

_FORMAT = re.compile(
    r"^ret_fmt=(?P<ret>python|json|verbose_xml|concise_xml)"
    r"&tool_call_tag=(?P<tag>True|False)"
    r"&func_doc_fmt=(?P<doc>python|xml|json)"
    r"&prompt_fmt=(?P<prompt>plaintext|markdown)"
    r"&style=(?P<style>classic|experimental)$"
)


def prompt_format_for(case_id: str) -> str:
    """The system-prompt configuration of a case: from a format-sensitivity id, or default."""
    if ":" not in case_id:
        return DEFAULT_FORMAT
    parts = case_id.split(":")
    if len(parts) != 3:
        raise ConfigError(f"case id {case_id!r}: expected exactly two colons")
    return parts[1]


def requested_format(text: str) -> tuple[str, bool] | None:
    """The return format and tag setting a BFCL system prompt asks for, or ``None``.

    Read from the call-format example the prompt quotes (each return format has its own),
    with ``<TOOLCALL>`` right before it when calls must be tagged.
    """
    for ret, example in _OUTPUT_FORMATS.items():
        at = text.find(example)
        if at >= 0:
            return ret, text[:at].endswith("<TOOLCALL>")
    return None


def system_prompt(functions: list[dict[str, Any]], fmt: str = DEFAULT_FORMAT) -> str:
    """BFCL's system prompt for ``functions`` (docs with language hints, not converted).

    Raises:
        ConfigError: on a malformed configuration, or docs BFCL's renderer fails on.
    """
    match = _FORMAT.match(fmt)
    if match is None:
        raise ConfigError(f"invalid prompt format {fmt!r}")
    style = _STYLES[match["style"]]
    ret = match["ret"]
    tool_call = style["tag" if match["tag"] == "True" else "no_tag"].format(
        output_format=_OUTPUT_FORMATS[ret], param_types=_PARAM_TYPES[ret]
    )
    doc = match["doc"]
    available = style["tools"].format(format=doc, functions=function_doc(functions, doc))
    return _TEMPLATES[match["prompt"]].format(
        persona=style["persona"],
        task=style["task"],
        tool_call_format=tool_call,
        multiturn_behavior=style["multiturn"],
        available_tools=available,
    )


def with_system_prompt(
    messages: list[dict[str, Any]], functions: list[dict[str, Any]], case_id: str
) -> list[dict[str, Any]]:
    """A copy of ``messages`` with BFCL's prompt prepended to (or inserted as) the system one."""
    prompt = system_prompt(functions, prompt_format_for(case_id))
    out: list[dict[str, Any]] = json_copy(messages)
    if out and out[0].get("role") == "system":
        out[0]["content"] = prompt + "\n\n" + str(out[0]["content"])
    else:
        out.insert(0, {"role": "system", "content": prompt})
    return out
