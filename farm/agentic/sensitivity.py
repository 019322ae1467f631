"""BFCL v4 format sensitivity: its 26 prompt-format configurations, case ids and statistics.

Source of the facts: ``bfcl_eval/utils.py`` (``get_all_format_sensitivity_configs``,
``load_format_sensitivity_test_cases``), ``model_handler/utils.py``
(``parse_prompt_variation_params``) and ``eval_checker/eval_runner.py``
(``format_sensitivity_runner``) of bfcl-eval 2026.3.23.

A case id is ``format_sensitivity_<i>:<config>:<original id>``; a configuration is
``ret_fmt=<python|json|verbose_xml|concise_xml>&tool_call_tag=<True|False>&
func_doc_fmt=<python|xml|json>&prompt_fmt=<plaintext|markdown>&style=<classic|experimental>``.
The category is run in prompt mode only (BFCL skips it for FC models).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from farm.errors import SuiteError

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
class ConfigScore:
    """Accuracy of one configuration: ``correct / total`` (a fraction)."""

    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        """The fraction of correct cases."""
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class SensitivityStats:
    """BFCL's format-sensitivity statistics over the configurations present.

    Attributes:
        per_config: configuration string -> its score, in order of first appearance.
        max_delta: ``round((max - min) * 100, 2)`` of the per-config accuracies.
        std: ``round(sample stdev * 100, 2)``.
        variance: ``round(sample variance * 10^4, 2)``.
        Each is 0.0 with fewer than two configurations (as in BFCL).
    """

    per_config: dict[str, ConfigScore]
    max_delta: float
    std: float
    variance: float


def sensitivity_stats(verdicts: Iterable[tuple[str, bool]]) -> SensitivityStats:
    """Aggregate ``(case id, valid)`` pairs as BFCL's ``format_sensitivity_runner`` does.

    Raises:
        SuiteError: an id is not a format-sensitivity case id.
    """
    counts: dict[str, list[int]] = {}
    for cid, valid in verdicts:
        _index, config, _original = split_case_id(cid)
        slot = counts.setdefault(config, [0, 0])
        slot[1] += 1
        slot[0] += int(bool(valid))
    per_config = {cfg: ConfigScore(correct=c, total=t) for cfg, (c, t) in counts.items()}
    accuracies = [s.accuracy for s in per_config.values()]
    if len(accuracies) > 1:
        variance = round(statistics.variance(accuracies) * 100**2, 2)
        std = round(statistics.stdev(accuracies) * 100, 2)
        max_delta = round((max(accuracies) - min(accuracies)) * 100, 2)
    else:
        variance = std = max_delta = 0.0
    return SensitivityStats(per_config=per_config, max_delta=max_delta, std=std, variance=variance)
