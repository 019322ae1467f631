"""BFCL v4 format sensitivity: its 26 prompt-format configurations and case ids.

Source of the facts: ``bfcl_eval/utils.py`` (``get_all_format_sensitivity_configs``,
``load_format_sensitivity_test_cases``), ``model_handler/utils.py``
(``parse_prompt_variation_params``) of bfcl-eval 2026.3.23. The statistics BFCL computes
over the configurations are in :mod:`farm.agentic.sensitivity`.

A case id is ``format_sensitivity_<i>:<config>:<original id>``; a configuration is
``ret_fmt=<python|json|verbose_xml|concise_xml>&tool_call_tag=<True|False>&
func_doc_fmt=<python|xml|json>&prompt_fmt=<plaintext|markdown>&style=<classic|experimental>``.
The category is run in prompt mode only (BFCL skips it for FC models).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from farm.errors import SuiteError
from farm.suites.case import Case

CATEGORY = "format_sensitivity"
RETURN_FORMATS: tuple[str, ...] = ("python", "json", "verbose_xml", "concise_xml")
TOOL_CALL_TAGS: tuple[str, ...] = ("True", "False")
DOC_FORMATS: tuple[str, ...] = ("python", "xml", "json")

_CONFIG = re.compile(
    r"^ret_fmt=(?P<ret>python|json|verbose_xml|concise_xml)"
    r"&tool_call_tag=(?P<tag>True|False)"
    r"&func_doc_fmt=(?P<doc>python|xml|json)"
    r"&prompt_fmt=(?P<prompt>plaintext|markdown)"
    r"&style=(?P<style>classic|experimental)$"
)


@dataclass(frozen=True, slots=True)
class PromptConfig:
    """One prompt-format configuration.

    Attributes:
        return_format: how calls are written (python, json, verbose_xml, concise_xml).
        tool_call_tag: whether calls are wrapped in ``<TOOLCALL>`` tags.
        doc_format: how function docs are shown (python, xml, json).
        prompt_format: plaintext or markdown system prompt.
        style: classic or experimental prompt wording.
    """

    return_format: str
    tool_call_tag: bool
    doc_format: str
    prompt_format: str
    style: str

    @property
    def text(self) -> str:
        """The configuration string as BFCL spells it."""
        return (
            f"ret_fmt={self.return_format}&tool_call_tag={self.tool_call_tag}"
            f"&func_doc_fmt={self.doc_format}&prompt_fmt={self.prompt_format}&style={self.style}"
        )


def all_configs() -> list[str]:
    """BFCL's 26 configurations, in its order: 4 x 2 x 3 classic plaintext, then two more."""
    configs = [
        f"ret_fmt={ret}&tool_call_tag={tag}&func_doc_fmt={doc}&prompt_fmt=plaintext&style=classic"
        for ret in RETURN_FORMATS
        for tag in TOOL_CALL_TAGS
        for doc in DOC_FORMATS
    ]
    configs.append(
        "ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&prompt_fmt=markdown&style=classic"
    )
    configs.append(
        "ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&prompt_fmt=plaintext"
        "&style=experimental"
    )
    return configs


def parse_config(text: str) -> PromptConfig:
    """Parse a configuration string; raises :class:`SuiteError` on any other spelling."""
    match = _CONFIG.match(text)
    if match is None:
        raise SuiteError(f"invalid format-sensitivity configuration {text!r}")
    return PromptConfig(
        return_format=match["ret"],
        tool_call_tag=match["tag"] == "True",
        doc_format=match["doc"],
        prompt_format=match["prompt"],
        style=match["style"],
    )


def case_id(index: int, config: str, original_id: str) -> str:
    """The id of one expanded case: ``format_sensitivity_<index>:<config>:<original id>``."""
    return f"{CATEGORY}_{index}:{config}:{original_id}"


def split_case_id(text: str) -> tuple[int, str, str]:
    """``(index, config, original id)`` of an expanded case id; :class:`SuiteError` if not one."""
    parts = text.split(":")
    prefix = f"{CATEGORY}_"
    if len(parts) != 3 or not parts[0].startswith(prefix):
        raise SuiteError(f"{text!r} is not a format-sensitivity case id")
    try:
        index = int(parts[0][len(prefix) :])
    except ValueError as exc:
        raise SuiteError(f"{text!r} is not a format-sensitivity case id") from exc
    parse_config(parts[1])
    return index, parts[1], parts[2]


@dataclass(frozen=True, slots=True)
class CaseDecoding:
    """How a single-turn case's reply is decoded and checked (BFCL's evaluation arguments).

    Attributes:
        return_format: BFCL's ``ReturnFormat`` for ``decode_ast`` (``python``, ``java``,
            ``javascript``, ``json``, ``verbose_xml`` or ``concise_xml``).
        tool_call_tag: whether the calls are looked for inside ``<TOOLCALL>`` tags.
        language: the AST checker's language (``python``, ``java``, ``javascript``).
        checker_category: the name BFCL's ``ast_checker`` dispatches on (``parallel`` ->
            no-order parallel checker, else ``multiple``, else simple): the category, or
            for a format-sensitivity case its original id (``simple_python_12``, ...).
        format_sensitivity: the case is a format-sensitivity clone (prompt mode only).
    """

    return_format: str
    tool_call_tag: bool
    language: str
    checker_category: str
    format_sensitivity: bool = False


def case_decoding(case: Case) -> CaseDecoding:
    """The decoding of ``case``, as ``bfcl evaluate`` chooses it.

    A format-sensitivity case (category ``format_sensitivity``) takes its return format and
    tag from the configuration in its id, is checked as Python and dispatched on its
    original id (``format_sensitivity_runner``); every other case decodes in its language,
    untagged, and is dispatched on its category.

    Raises:
        SuiteError: a format-sensitivity case whose id is not ``<name>_<i>:<config>:<id>``.
    """
    if case.category != CATEGORY:
        return CaseDecoding(case.language, False, case.language, case.category)
    _, config, original = split_case_id(case.case_id)
    parsed = parse_config(config)
    return CaseDecoding(parsed.return_format, parsed.tool_call_tag, "python", original, True)
