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
from collections.abc import Mapping, Sequence
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


def method_signatures(
    sources: EnvironmentSources, involved_classes: Sequence[str]
) -> dict[str, inspect.Signature]:
    """Public method name to signature (without ``self``), later classes winning as in BFCL."""
    modules = ModuleSet(sources)
    signatures: dict[str, inspect.Signature] = {}
    for class_name in involved_classes:
        cls = modules.environment_class(class_name)
        for name, function in inspect.getmembers(cls, predicate=inspect.isfunction):
            if name.startswith("_"):
                continue
            signature = inspect.signature(function)
            params = list(signature.parameters.values())[1:]
            signatures[name] = signature.replace(parameters=params)
    return signatures


def keyword_call(call: str, signatures: Mapping[str, inspect.Signature]) -> KeywordCall:
    """Parse one ground-truth call string and name its positional arguments.

    Raises:
        SuiteError: the string is not a call with literal arguments of a known method.
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
    signature = signatures.get(name)
    if signature is None:
        if args:
            raise SuiteError(f"ground-truth call {call!r} names no known method")
        return KeywordCall(name=name, arguments=kwargs)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise SuiteError(f"ground-truth call {call!r} does not fit {name}{signature}") from exc
    return KeywordCall(name=name, arguments=dict(bound.arguments))


def ground_truth_turns(
    answer: Sequence[Sequence[str]],
    sources: EnvironmentSources,
    involved_classes: Sequence[str],
) -> list[list[KeywordCall]]:
    """Every turn of a ground truth as keyword calls."""
    signatures = method_signatures(sources, involved_classes)
    return [[keyword_call(call, signatures) for call in turn] for turn in answer]
