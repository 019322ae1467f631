"""Calls are parsed, never evaluated, and reach only public methods of the case's instances."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

import pytest

import farm.multiturn.dispatch as dispatch
from farm.multiturn.dispatch import execute_call, render_result
from farm.multiturn.envs import EnvironmentSources, ModuleSet, build_environment

from .helpers import SUITE_EXTRA


@pytest.fixture()
def env():
    sources = EnvironmentSources.from_suite_extra(SUITE_EXTRA)
    return build_environment(
        ModuleSet(sources), ["LedgerAPI"], {"LedgerAPI": {"owner": "ada"}}, long_context=False
    )


def test_a_public_method_runs_with_literal_keyword_and_positional_arguments(env) -> None:
    assert execute_call(env, "add(item='tea', amount=2)") == '{"count": 1}'
    assert execute_call(env, "add('milk', 3)") == '{"count": 2}'
    assert execute_call(env, "total()") == "5"
    assert execute_call(env, "describe()") == "ledger of ada"


def test_results_render_as_bfcl_renders_them() -> None:
    assert render_result("text") == "text"
    assert render_result({"a": 1}) == '{"a": 1}'
    assert render_result({"a": {1, 2}}) == "{'a': {1, 2}}"
    assert render_result([1, "x"]) == "[1, 'x']"
    assert render_result(None) == "None"


def test_environment_exceptions_and_bad_arguments_become_error_results(env) -> None:
    assert execute_call(env, "explode()") == "Error during execution: the ledger exploded"
    assert execute_call(env, "add(colour='red')") == (
        "Error during execution: LedgerAPI.add() got an unexpected keyword argument 'colour'"
    )


HOSTILE = {
    "__import__(name='os')": "name '__import__' is not defined",
    "__import__('os').system('touch /tmp/x')": "name '__import__' is not defined",
    "_wipe()": "name '_wipe' is not defined",
    "_load_scenario(scenario={})": "name '_load_scenario' is not defined",
    "__class__()": "name '__class__' is not defined",
    "LedgerAPI.add(item='x')": "name 'LedgerAPI' is not defined",
    "add.__globals__()": "name 'add' is not defined",
    "add.__self__._wipe()": "name 'add' is not defined",
    "getattr(add, '__globals__')()": "name 'getattr' is not defined",
    "globals()": "name 'globals' is not defined",
    "eval(source='1+1')": "name 'eval' is not defined",
    "exec('x=1')": "name 'exec' is not defined",
    "tick()": "name 'tick' is not defined",
    "exit(code=0)": "Function call exit is not allowed.",
    "os.remove(path='/tmp/x')": "Function call remove is not allowed.",
    "add(item=__import__('os').getcwd())": "arguments must be literal values",
    "add(item=describe())": "arguments must be literal values",
    "add(item=[x for x in range(3)])": "name 'x' is not defined",
    "add(item=secret)": "name 'secret' is not defined",
    "add(item='a', amount=nan)": "name 'nan' is not defined",
    "add(**{'item': 'x'})": "argument unpacking (**) is not allowed",
    "add(item='a') + add(item='b')": "only function calls can be executed",
    "lambda: 1": "only function calls can be executed",
    "add(item='a'": "'(' was never closed (<string>, line 1)",
}


@pytest.mark.parametrize("call", list(HOSTILE))
def test_anything_but_a_public_method_with_literals_is_refused(env, call) -> None:
    result = execute_call(env, call)
    assert result.startswith("Error during execution: ")
    assert HOSTILE[call] in result
    assert env.instances["LedgerAPI"].entries == []
    assert env.instances["LedgerAPI"]._secret == "s3cret"


def test_refused_calls_change_nothing_outside_the_environment(env, tmp_path: Path) -> None:
    target = tmp_path / "created.txt"
    modules_before = set(sys.modules)
    builtins_before = dict(vars(builtins))
    blocked_before = dispatch.BLOCKED_NAMES
    for call in [
        f"open(file={str(target)!r}, mode='w')",
        f"__import__('pathlib').Path({str(target)!r}).touch()",
        "setattr(dispatch, 'BLOCKED_NAMES', frozenset())",
        "__builtins__.update(open=None)",
        "add.__func__.__globals__.clear()",
        f"add(item=open({str(target)!r}, 'w'))",
        "CALLS_SEEN.append('hostile')",
        "DEFAULT_STATE.clear()",
        "add.__globals__.update(CALLS_SEEN=None)",
    ]:
        assert execute_call(env, call).startswith("Error during execution: ")
    assert not target.exists()
    assert set(sys.modules) == modules_before
    assert dict(vars(builtins)) == builtins_before
    assert dispatch.BLOCKED_NAMES is blocked_before
    env_globals = type(env.instances["LedgerAPI"]).add.__globals__
    assert env_globals["CALLS_SEEN"] == [] and env_globals["DEFAULT_STATE"]["owner"] == "nobody"
    assert execute_call(env, "add(item='still works')") == '{"count": 1}'


def test_math_precision_settings_do_not_leak_out_of_a_call(bfcl_wheel) -> None:
    import decimal

    math_env = build_environment(
        ModuleSet(EnvironmentSources.from_wheel(bfcl_wheel)), ["MathAPI"], {}, long_context=False
    )
    import mpmath

    prec_before, dps_before = decimal.getcontext().prec, mpmath.mp.dps
    assert execute_call(math_env, "square_root(number=2, precision=60)") == (
        "{'result': Decimal('1.41421356237309504880168872420969807856967187537694807317668')}"
    )
    assert execute_call(math_env, "logarithm(value=10, base=3, precision=40)") == (
        "{'result': mpf('2.095903274289384604296567522021401250607531')}"
    )
    assert (decimal.getcontext().prec, mpmath.mp.dps) == (prec_before, dps_before)
