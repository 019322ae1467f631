"""The ground truth of a multi-turn case as keyword calls a model could have made.

BFCL's ground-truth strings sometimes pass arguments by position (``sort('file.txt')``). A
prompt-mode decoder keeps keyword arguments only, so a faithful replay must name every
argument. The names come from the environment methods' signatures (BFCL's own classes, built
from the suite's sources). Used by the simulator (answering from the ground truth) and by
tests and benchmarks that need ground-truth-shaped model outputs.
"""

from __future__ import annotations

import ast
import inspect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from farm.errors import SuiteError
from farm.multiturn.envs import EnvironmentSources, ModuleSet


@dataclass(frozen=True)
class KeywordCall:
    """One call with every argument named.

    Attributes:
        name: the function name.
        arguments: argument name to literal value, in signature order.
    """

    name: str
    arguments: dict[str, Any]

    def as_prompt_text(self) -> str:
        """The call as Python source, e.g. ``cd(folder='document')``."""
        rendered = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        return f"{self.name}({rendered})"

    def as_json_arguments(self) -> str:
        """The arguments as an FC tool call's JSON string."""
        return json.dumps(self.arguments)


def method_parameters(
    sources: EnvironmentSources, involved_classes: Sequence[str]
) -> dict[str, list[str]]:
    """Public method name to parameter names (``self`` dropped), later classes winning."""
    modules = ModuleSet(sources)
    parameters: dict[str, list[str]] = {}
    for class_name in involved_classes:
        cls = modules.environment_class(class_name)
        for name, function in inspect.getmembers(cls, predicate=inspect.isfunction):
            if not name.startswith("_"):
                parameters[name] = list(inspect.signature(function).parameters)[1:]
    return parameters


def doc_parameters(docs: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Function name to parameter names in doc order (BFCL's docs follow the signatures)."""
    out: dict[str, list[str]] = {}
    for doc in docs:
        properties = (doc.get("parameters") or {}).get("properties") or {}
        out[str(doc.get("name"))] = list(properties)
    return out


def keyword_call(call: str, parameters: Mapping[str, Sequence[str]]) -> KeywordCall:
    """Parse one ground-truth call string and name its positional arguments.

    Args:
        call: e.g. ``sort('file.txt')``.
        parameters: function name to its parameter names, in order.

    Raises:
        SuiteError: the string is not a call with literal arguments of a known function.
    """
    try:
        node = ast.parse(call, mode="eval").body
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            raise ValueError("not a plain function call")
        args = [ast.literal_eval(a) for a in node.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
    except (SyntaxError, ValueError) as exc:
        raise SuiteError(f"ground-truth call {call!r} cannot be parsed: {exc}") from exc
    name = node.func.id
    names = list(parameters.get(name, ()))
    if len(args) > len(names):
        raise SuiteError(f"ground-truth call {call!r} has more arguments than {name} takes")
    arguments = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key in arguments:
            raise SuiteError(f"ground-truth call {call!r} passes {key!r} twice")
        arguments[key] = value
    return KeywordCall(name=name, arguments=arguments)


def ground_truth_turns(
    answer: Sequence[Sequence[str]],
    sources: EnvironmentSources,
    involved_classes: Sequence[str],
) -> list[list[KeywordCall]]:
    """Every turn of a ground truth as keyword calls."""
    parameters = method_parameters(sources, involved_classes)
    return [[keyword_call(call, parameters) for call in turn] for turn in answer]
