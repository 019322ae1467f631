"""BFCL v4's agentic categories (memory, web search) and format sensitivity, from the wheel.

What BFCL's loader does (``bfcl_eval/utils.py``, 2026.3.23) and what is built here:

- web search: ``BFCL_v4_web_search.json`` is loaded once per category; ids
  ``web_search_<n>`` become ``web_search_base_<n>`` / ``web_search_no_snippet_<n>``;
  ``initial_config`` is ``{"WebSearchAPI": {"show_snippet": True|False}}``.
- memory: ``BFCL_v4_memory.json`` once per backend (``kv``, ``vector``, ``rec_sum``); ids
  ``memory_<n>-<scenario>-<k>`` become ``memory_<backend>_<n>-...``, the involved class
  ``MemoryAPI_<backend>``; every question ``depends_on`` its scenario's whole prerequisite
  chain. The prerequisite conversations (``memory_prereq_conversation/memory_<s>.json``) are
  not scored; they are kept in the suite's ``extra`` (``memory_prereq``), in file order.
- both: a system message with BFCL's answer-format instruction is put first in turn 0, and
  the function docs are those of the involved class. Answers align with prompts by index
  (the answer files keep the original ids).
- format sensitivity: ``BFCL_v4_format_sensitivity.json`` maps categories to ids; each
  chosen single-turn case (in its file's order) is cloned for BFCL's 26 configurations as
  ``format_sensitivity_<i>:<config>:<id>``, keeping the original case's answer and docs.

BFCL's prompt texts (answer format, scenario personas, memory instructions) are read from
``constants/default_prompts.py`` as literals with :mod:`ast`, never imported.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from typing import Any

from farm.errors import SuiteError
from farm.jsondata import json_copy
from farm.suites.case import Case
from farm.suites.categories import FORMAT_SENSITIVITY, MEMORY_SCENARIOS, WEB_SEARCH
from farm.suites.jsonl import Line, check_turns, parse_jsonl, require_id
from farm.suites.sensitivity import all_configs
from farm.suites.sensitivity import case_id as sensitivity_case_id

DATA = "bfcl_eval/data"
PROMPTS_FILE = "bfcl_eval/constants/default_prompts.py"
PREREQ_DIR = f"{DATA}/memory_prereq_conversation"
ANSWER_FORMAT_NAME = "ADDITIONAL_SYSTEM_PROMPT_FOR_AGENTIC_RESPONSE_FORMAT"
PROMPT_NAMES: tuple[str, ...] = (
    ANSWER_FORMAT_NAME,
    "MEMORY_AGENT_SETTINGS",
    "MEMORY_BACKEND_INSTRUCTION_CORE_ARCHIVAL",
    "MEMORY_BACKEND_INSTRUCTION_UNIFIED",
)

Read = Callable[[str], bytes]


def read_prompts(read: Read) -> dict[str, Any]:
    """BFCL's agentic prompt literals by name (see :data:`PROMPT_NAMES`).

    Raises:
        SuiteError: the file cannot be parsed or lacks one of the names.
    """
    source = read(PROMPTS_FILE).decode("utf-8")
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise SuiteError(f"{PROMPTS_FILE}: cannot parse: {exc.msg}") from exc
    found: dict[str, Any] = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in PROMPT_NAMES:
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except ValueError as exc:
                    raise SuiteError(f"{PROMPTS_FILE}: {target.id} is not a literal") from exc
    missing = [n for n in PROMPT_NAMES if n not in found]
    if missing:
        raise SuiteError(f"{PROMPTS_FILE} lacks {', '.join(missing)}")
    return found


def _with_answer_format(line: Line, answer_format: str) -> list[list[dict[str, Any]]]:
    turns = json_copy(check_turns(line, allow_empty_turns=False))
    if not turns:
        raise SuiteError(f"{line.where}: no question turns")
    turns[0].insert(0, {"role": "system", "content": answer_format})
    return turns


def _answers(read: Read, name: str, count: int) -> list[Any]:
    path = f"{DATA}/possible_answer/{name}"
    lines = parse_jsonl(read(path), path)
    if len(lines) != count:
        raise SuiteError(f"{path} has {len(lines)} answers for {count} questions")
    out = []
    for line in lines:
        truth = line.obj.get("ground_truth")
        if not isinstance(truth, list) or not all(isinstance(t, str) for t in truth):
            raise SuiteError(f"{line.where}: 'ground_truth' must be a list of strings")
        out.append(truth)
    return out


def _docs(class_docs: dict[str, list[dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    if name not in class_docs:
        raise SuiteError(f"the wheel has no function docs for {name}")
    return json_copy(class_docs[name])


def web_search_cases(
    read: Read, class_docs: dict[str, list[dict[str, Any]]], answer_format: str
) -> list[Case]:
    """The cases of ``web_search_base`` and ``web_search_no_snippet`` (100 each in 2026.3.23)."""
    path = f"{DATA}/BFCL_v4_web_search.json"
    prompts = parse_jsonl(read(path), path)
    truths = _answers(read, "BFCL_v4_web_search.json", len(prompts))
    cases = []
    for category in WEB_SEARCH:
        show = category != "web_search_no_snippet"
        for position, (line, truth) in enumerate(zip(prompts, truths, strict=True)):
            original = require_id(line)
            cases.append(
                Case(
                    case_id=original.replace("web_search", category),
                    category=category,
                    language="python",
                    turns=_with_answer_format(line, answer_format),
                    functions=_docs(class_docs, "WebSearchAPI"),
                    answer=truth,
                    extra={
                        "involved_classes": ["WebSearchAPI"],
                        "initial_config": {"WebSearchAPI": {"show_snippet": show}},
                        "original_id": original,
                    },
                    position=position,
                )
            )
    return cases


def memory_prereqs(read: Read) -> dict[str, list[dict[str, Any]]]:
    """Prerequisite conversations per scenario, in file order: ``{id, topic, question}``."""
    chains: dict[str, list[dict[str, Any]]] = {}
    for scenario in MEMORY_SCENARIOS:
        path = f"{PREREQ_DIR}/memory_{scenario}.json"
        chain = []
        for line in parse_jsonl(read(path), path):
            chain.append(
                {
                    "id": require_id(line),
                    "topic": line.obj.get("topic", ""),
                    "question": json_copy(check_turns(line, allow_empty_turns=False)),
                }
            )
        chains[scenario] = chain
    return chains


def prereq_ids(category: str, chain: list[dict[str, Any]]) -> list[str]:
    """The ids of a scenario's chain in ``category``: ``memory_<backend>_prereq_<n>-<s>-<k>``."""
    return [str(entry["id"]).replace("memory", category, 1) for entry in chain]


def memory_cases(
    read: Read,
    class_docs: dict[str, list[dict[str, Any]]],
    answer_format: str,
    chains: dict[str, list[dict[str, Any]]],
    categories: tuple[str, ...],
) -> list[Case]:
    """The cases of the memory categories (155 each in 2026.3.23)."""
    path = f"{DATA}/BFCL_v4_memory.json"
    prompts = parse_jsonl(read(path), path)
    truths = _answers(read, "BFCL_v4_memory.json", len(prompts))
    cases = []
    for category in categories:
        backend_class = f"MemoryAPI_{category.removeprefix('memory_')}"
        for position, (line, truth) in enumerate(zip(prompts, truths, strict=True)):
            original = require_id(line)
            scenario = line.obj.get("scenario")
            if scenario not in chains:
                raise SuiteError(f"{line.where}: unknown memory scenario {scenario!r}")
            cases.append(
                Case(
                    case_id=original.replace("memory", category, 1),
                    category=category,
                    language="python",
                    turns=_with_answer_format(line, answer_format),
                    functions=_docs(class_docs, backend_class),
                    answer=truth,
                    extra={
                        "involved_classes": [backend_class],
                        "scenario": scenario,
                        "depends_on": prereq_ids(category, chains[scenario]),
                        "original_id": original,
                    },
                    position=position,
                )
            )
    return cases


def format_sensitivity_cases(read: Read, single_turn: dict[str, Case]) -> list[Case]:
    """The 26 prompt-format clones of each listed single-turn case (5200 in 2026.3.23)."""
    path = f"{DATA}/BFCL_v4_format_sensitivity.json"
    try:
        listing = json.loads(read(path).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{path}: not a JSON object: {exc}") from exc
    if not isinstance(listing, dict):
        raise SuiteError(f"{path}: must map categories to id lists")
    chosen: list[Case] = []
    for category, ids in listing.items():
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise SuiteError(f"{path}: the ids of {category!r} must be a list of strings")
        wanted = set(ids)
        present = [c for c in single_turn.values() if c.category == category]
        if not ids:
            continue
        found = [c for c in present if c.case_id in wanted]
        if len(found) != len(wanted):
            missing = sorted(wanted - {c.case_id for c in found})
            raise SuiteError(f"{path}: unknown ids {', '.join(missing[:5])}")
        chosen.extend(sorted(found, key=lambda c: c.position))
    cases: list[Case] = []
    configs = all_configs()
    for case in chosen:
        for config in configs:
            index = len(cases)
            cases.append(
                Case(
                    case_id=sensitivity_case_id(index, config, case.case_id),
                    category=FORMAT_SENSITIVITY,
                    language=case.language,
                    turns=json_copy(case.turns),
                    functions=json_copy(case.functions),
                    answer=json_copy(case.answer),
                    extra={
                        **json_copy(case.extra),
                        "config": config,
                        "original_id": case.case_id,
                        "original_category": case.category,
                    },
                    position=index,
                )
            )
    return cases
