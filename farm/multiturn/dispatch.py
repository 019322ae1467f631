"""Safe execution of call strings against one case's environment instances.

BFCL prefixes every known method name in a call string with its instance and ``eval``s the
string, behind a blocklist of eight names. Here the string is parsed with :mod:`ast` and never
evaluated:

- the callee must be a bare name that is a PUBLIC method of an instance involved in this case
  (private and dunder names, attribute chains, builtins, other instances and unknown names
  are refused with the message Python's ``eval`` would give, ``name 'x' is not defined``);
- every argument must be a literal (``ast.literal_eval`` semantics); a nested call, a name, an
  attribute or a comprehension is refused;
- BFCL's blocklist (``kill``, ``exit``, ...) is applied first, with BFCL's message.

Results are rendered as BFCL renders them: ``str`` as is, ``dict`` through ``json.dumps``
(falling back to ``str``), anything else through ``str``; a refusal or an exception raised by
the environment becomes ``"Error during execution: <message>"``.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import decimal
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from farm.errors import EndpointError
from farm.multiturn.envs import Environment

#: Names BFCL refuses before evaluating (``multi_turn_utils.execute_multi_turn_func_call``).
BLOCKED_NAMES = frozenset({"kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run"})
ERROR_PREFIX = "Error during execution: "


class CallRefused(Exception):
    """The call string does not resolve to a public method with literal arguments."""


def execute_calls(env: Environment, calls: Iterable[str]) -> list[str]:
    """Execute call strings in order against ``env`` and return BFCL's result strings."""
    return [execute_call(env, call) for call in calls]


def execute_call(env: Environment, call: str) -> str:
    """Execute one call string; refusals and exceptions become BFCL's error strings."""
    try:
        method, args, kwargs = resolve_call(env, call)
    except CallRefused as exc:
        return f"{ERROR_PREFIX}{exc}"
    try:
        with _process_contexts_kept():
            # Rendered inside: an mpmath number's repr follows the precision the call set.
            return render_result(method(*args, **kwargs))
    except EndpointError:
        raise  # a tool's own endpoint (embeddings) failing is the farm's failure, not a result
    except Exception as exc:  # an environment method failing is a result, as in BFCL
        return f"{ERROR_PREFIX}{exc}"


@contextlib.contextmanager
def _process_contexts_kept() -> Iterator[None]:
    """Undo what environment code does to process-wide numeric contexts.

    BFCL's MathAPI sets ``decimal.getcontext().prec`` and ``mpmath.mp.dps`` before each
    computation; both outlive the call in BFCL's process. Every such method sets them first,
    so restoring them afterwards changes no result and keeps the rest of the worker untouched.
    """
    mpmath = sys.modules.get("mpmath")
    saved_prec = getattr(getattr(mpmath, "mp", None), "prec", None)
    try:
        with decimal.localcontext():
            yield
    finally:
        if mpmath is not None and saved_prec is not None:
            mpmath.mp.prec = saved_prec


def render_result(result: Any) -> str:
    """BFCL's rendering of a method's return value."""
    if type(result) is str:
        return result
    if type(result) is dict:
        try:
            return json.dumps(result)
        except Exception:
            return str(result)
    return str(result)


def resolve_call(env: Environment, call: str) -> tuple[Any, list[Any], dict[str, Any]]:
    """Parse ``call`` and resolve it to a bound public method and literal arguments.

    Raises:
        CallRefused: with the message the model is shown.
    """
    head = call.split("(")[0]
    if "." in head:
        head = head.split(".")[1]
    if head in BLOCKED_NAMES:
        raise CallRefused(f"Function call {head} is not allowed.")
    try:
        tree = ast.parse(call, filename="<string>", mode="eval")
    except SyntaxError as exc:
        raise CallRefused(str(exc)) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise CallRefused(f"cannot parse the call: {exc}") from None
    node = tree.body
    if not isinstance(node, ast.Call):
        raise CallRefused("only function calls can be executed")
    method = _callee(env, node.func)
    args = [_literal(arg) for arg in node.args]
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise CallRefused("argument unpacking (**) is not allowed")
        kwargs[keyword.arg] = _literal(keyword.value)
    return method, args, kwargs


def _callee(env: Environment, func: ast.expr) -> Any:
    if isinstance(func, ast.Name):
        entry = env.methods.get(func.id)
        if entry is not None and not func.id.startswith("_"):
            return entry[1]
        raise CallRefused(f"name '{func.id}' is not defined")
    base: ast.expr = func
    while isinstance(base, ast.Attribute | ast.Call | ast.Subscript):
        base = base.func if isinstance(base, ast.Call) else base.value
    if isinstance(base, ast.Name):
        raise CallRefused(f"name '{base.id}' is not defined")
    raise CallRefused("only environment functions can be called")


def _literal(node: ast.expr) -> Any:
    """The value of a literal argument (a fresh object); anything else is refused."""
    try:
        return copy.deepcopy(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            name = ast.unparse(inner.func)
            raise CallRefused(
                f"argument {ast.unparse(node)[:80]!s} calls {name}(); "
                "arguments must be literal values"
            )
        if isinstance(inner, ast.Name):
            raise CallRefused(f"name '{inner.id}' is not defined")
    raise CallRefused(f"argument {ast.unparse(node)[:80]!s} is not a literal value")
