"""Per-family call formats: name -> decoder of a reply's text into BFCL's call list.

Each family format is an FC format whose request offers native ``tools`` (the server's chat
template renders them) and whose reply is decoded in two steps: the server's
``tool_calls`` when present; otherwise the reply text, decoded with the family's decoder
and marked as parsed by the client (:func:`client_calls`). The same decoders score BFCL
result files whose handlers stored text or decoded objects (``farm evaluate
--call-format NAME``; :mod:`farm.formats.bfcl_models` maps BFCL model names to them).

Every decoder is ``decode(raw, docs=None) -> [{name: {param: value}}]`` over hostile text
(ast and JSON only, bounded in size) and raises
:class:`~farm.formats.pydecode.DecodeError` (a
:class:`~farm.formats.families.common.FamilyDecodeError`) on malformed input.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from farm.formats.families import decoded, glm, hermes, jsoncall, llama, mistral, qwen_xml
from farm.formats.families.common import Calls, Docs, FamilyDecodeError
from farm.formats.pydecode import DecodeError

Decoder = Callable[[Any, Docs], list[Any]]


@dataclass(frozen=True)
class Family:
    """One family call format.

    Attributes:
        name: the format's name (``--call-format NAME``, ``call_format`` in models.toml).
        decode: the decoder of reply text (or stored result) into BFCL's call list.
        looks_like: a cheap test whether text (or a stored result) is in this syntax.
        summary: one line for help and docs.
        vllm_parser: vLLM's ``--tool-call-parser`` for the same syntax, if there is one.
    """

    name: str
    decode: Decoder
    looks_like: Callable[[Any], bool]
    summary: str
    vllm_parser: str | None = None


def _text_test(test: Callable[[str], bool]) -> Callable[[Any], bool]:
    return lambda raw: isinstance(raw, str) and test(raw)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "hermes",
            hermes.decode_hermes,
            _text_test(hermes.looks_like),
            "Hermes/Qwen <tool_call> JSON blocks",
            "hermes",
        ),
        Family(
            "qwen3_coder",
            qwen_xml.decode_qwen_xml,
            _text_test(qwen_xml.looks_like),
            "Qwen3-Coder <tool_call><function=f><parameter=k> XML",
            "qwen3_coder",
        ),
        Family(
            "glm4",
            glm.decode_glm4,
            _text_test(glm.looks_like_glm4),
            "GLM-4 name\\n{json}, several calls",
        ),
        Family(
            "glm4_bfcl",
            glm.decode_glm4_bfcl,
            _text_test(glm.looks_like_glm4),
            "GLM-4 name\\n{json}, first call only (BFCL's GLMHandler)",
        ),
        Family(
            "glm45",
            glm.decode_glm45,
            _text_test(glm.looks_like_glm45),
            "GLM-4.5 <tool_call>name<arg_key>/<arg_value>",
            "glm45",
        ),
        Family(
            "llama3_json",
            llama.decode_llama3_json,
            _text_test(llama.looks_like_llama3_json),
            'Llama 3.1 {"name", "parameters"} with <|python_tag|>',
            "llama3_json",
        ),
        Family(
            "pythonic",
            llama.decode_pythonic,
            _text_test(llama.looks_like_pythonic),
            "pythonic call list [f(a=1), g(b=2)] (Llama 3.2/3.3/4)",
            "pythonic",
        ),
        Family(
            "mistral",
            mistral.decode_mistral,
            _text_test(mistral.looks_like),
            "Mistral [TOOL_CALLS] JSON list or name[ARGS]{json}",
            "mistral",
        ),
        Family(
            "json",
            jsoncall.decode_json_calls,
            _text_test(jsoncall.looks_like),
            'plain or fenced JSON {"name", "arguments"} objects',
        ),
        Family(
            "decoded",
            decoded.decode_decoded,
            decoded.looks_like,
            "already-decoded [{name: {param: value}}] objects (Gemini, Nova, Mistral FC)",
        ),
    )
}

#: Order in which :func:`suggest` tries the families (most specific syntax first).
_SUGGEST_ORDER = (
    "qwen3_coder",
    "glm45",
    "hermes",
    "mistral",
    "llama3_json",
    "json",
    "pythonic",
    "glm4",
    "decoded",
)


def get_family(name: str) -> Family:
    """The family format called ``name``.

    Raises:
        FamilyDecodeError: no such family (a DecodeError, so scoring never crashes on it).
    """
    try:
        return FAMILIES[name]
    except KeyError:
        raise FamilyDecodeError(f"unknown call format {name!r}") from None


def decode_family(raw: Any, name: str, docs: Docs = None) -> list[Any]:
    """Decode ``raw`` with family ``name``.

    Raises:
        DecodeError: malformed output, or unknown family.
    """
    return get_family(name).decode(raw, docs)


def _is_calls(decoded_value: Any) -> bool:
    return (
        isinstance(decoded_value, list)
        and bool(decoded_value)
        and all(
            isinstance(item, dict)
            and len(item) == 1
            and isinstance(next(iter(item)), str)
            and isinstance(next(iter(item.values())), dict)
            for item in decoded_value
        )
    )


def client_calls(text: str | None, name: str, docs: Docs = None) -> Calls | None:
    """Calls held in a reply's text in family ``name``'s syntax, or ``None`` if none.

    Used when a server returned no ``tool_calls``: a non-empty list of well-formed calls
    is the answer, parsed by the client; anything else (prose, malformed syntax) leaves
    the reply as text.
    """
    if not text or name not in FAMILIES:
        return None
    try:
        calls = FAMILIES[name].decode(text, docs)
    except DecodeError:
        return None
    return calls if _is_calls(calls) else None


def as_tool_calls(calls: Calls) -> list[dict[str, str]]:
    """Decoded calls in the FC result shape ``[{name: arguments_json}]``."""
    return [{name: json.dumps(args, ensure_ascii=False)} for c in calls for name, args in c.items()]


def predecode(raw: Any, name: str, docs: Docs = None) -> Any:
    """A stored single-turn result decoded with family ``name``, or the DecodeError raised."""
    try:
        return decode_family(raw, name, docs)
    except DecodeError as exc:
        return exc


def suggest(raw: Any, docs: Docs = None) -> str | None:
    """The first family whose syntax ``raw`` is in and that decodes it into calls, if any."""
    for name in _SUGGEST_ORDER:
        family = FAMILIES[name]
        try:
            if family.looks_like(raw) and _is_calls(family.decode(raw, docs)):
                return name
        except DecodeError:
            continue
    return None


__all__ = [
    "FAMILIES",
    "Family",
    "FamilyDecodeError",
    "as_tool_calls",
    "client_calls",
    "decode_family",
    "get_family",
    "predecode",
    "suggest",
]
