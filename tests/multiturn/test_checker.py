"""The checker reproduces BFCL's verdicts: state after each turn, response coverage, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from farm.multiturn.checker import is_long_context, score_multi_turn
from farm.multiturn.envs import EnvironmentSources
from farm.multiturn.replay import ground_truth_turns
from farm.suites.wheel import read_wheel

from .helpers import SUITE_EXTRA, ledger_case

TRUTH = [["add(item='tea', amount=2)"], [], ["total()", "describe()"]]


def _score(raw, *, mode="prompt", case=None):
    return score_multi_turn(
        case or ledger_case(TRUTH),
        raw,
        mode=mode,
        underscore_to_dot=False,
        suite_extra=SUITE_EXTRA,
    )


def test_a_ground_truth_replay_is_valid_and_its_decoded_calls_are_kept() -> None:
    raw = [["[add(item='tea', amount=2)]", "Done."], ["Which one?"], ["[total(), describe()]"]]
    verdict = _score(raw)
    assert verdict.valid and verdict.error_type is None
    assert verdict.decoded == [[["add(item='tea', amount=2)"]], [], [["total()", "describe()"]]]


def test_fc_steps_are_decoded_from_tool_calls() -> None:
    raw = [
        [[{"add": json.dumps({"item": "tea", "amount": 2})}], "ok"],
        ["?"],
        [[{"total": "{}"}], [{"describe": "{}"}]],
    ]
    assert _score(raw, mode="fc").valid


def test_a_result_that_is_not_a_list_is_an_inference_error() -> None:
    verdict = _score("Error during inference: timed out")
    assert (verdict.valid, verdict.error_type) == (False, "multi_turn:inference_error")


def test_fewer_turns_than_the_ground_truth_is_force_terminated() -> None:
    verdict = _score([["[add(item='tea', amount=2)]"], ["?"]])
    assert verdict.error_type == "multi_turn:force_terminated"


def test_a_turn_that_needs_calls_but_has_none_is_an_empty_turn() -> None:
    verdict = _score([["[add(item='tea', amount=2)]"], ["?"], ["```python\n[total()]\n```", "no"]])
    assert verdict.error_type == "multi_turn:empty_turn_model_response"
    assert "turn 2" in verdict.detail["error_message"]


def test_a_different_state_after_a_turn_is_a_state_mismatch() -> None:
    verdict = _score([["[add(item='tea', amount=3)]"], ["?"], ["[total(), describe()]"]])
    assert verdict.error_type == "multi_turn:instance_state_mismatch"
    assert verdict.detail["differences"]["entries"] == {
        "model": [["tea", 3]],
        "ground_truth": [["tea", 2]],
    }


def test_missing_ground_truth_results_are_a_response_mismatch() -> None:
    verdict = _score([["[add(item='tea', amount=2)]"], ["?"], ["[total()]"]])
    assert verdict.error_type == "multi_turn:execution_response_mismatch"
    assert verdict.detail["missing_items"] == ["ledger of ada"]


def test_results_from_earlier_turns_cover_later_ones_and_extra_results_are_allowed() -> None:
    raw = [
        ["[add(item='tea', amount=2), describe()]"],
        ["[total()]"],
        ["[total(), explode()]"],
    ]
    assert _score(raw).valid


def test_calls_in_turns_without_ground_truth_still_change_the_state() -> None:
    raw = [["[add(item='tea', amount=2)]"], ["[add(item='extra')]"], ["[total(), describe()]"]]
    assert _score(raw).error_type == "multi_turn:instance_state_mismatch"


def test_hostile_calls_are_refused_scored_and_leave_the_state_alone(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    hostile = (
        f"[open(file={str(target)!r}, mode='w'), _wipe(), __import__(name='os'), "
        "LedgerAPI.add(item='x'), add(item=describe(x=1))]"
    )
    raw = [[hostile, "[add(item='tea', amount=2)]"], ["?"], ["[total(), describe()]"]]
    verdict = _score(raw)
    assert verdict.valid
    assert not target.exists()


def test_long_context_cases_load_the_long_context_state_on_both_sides() -> None:
    case = ledger_case([["add(item='x')"]], case_id="multi_turn_long_context_3")
    assert is_long_context(case)
    verdict = score_multi_turn(
        case, [["[add(item='y')]"]], mode="prompt", underscore_to_dot=False, suite_extra=SUITE_EXTRA
    )
    assert verdict.detail["differences"]["entries"]["ground_truth"] == [
        ["archive", 100],
        ["backlog", 50],
        ["x", 1],
    ]


@pytest.fixture(scope="module")
def real_suite(bfcl_wheel):
    return read_wheel(bfcl_wheel)


def test_ground_truth_replays_of_real_cases_are_valid_in_both_modes(real_suite) -> None:
    sources = EnvironmentSources.from_suite_extra(real_suite.extra)
    picked = {}
    for case in real_suite.cases:
        if case.category.startswith("multi_turn") and case.position < 15:
            picked[case.case_id] = case
    for case in picked.values():
        turns = ground_truth_turns(case.answer, sources, case.extra["involved_classes"])
        prompt = [["[" + ", ".join(c.as_prompt_text() for c in t) + "]"] for t in turns]
        fc = [[[{c.name: c.as_json_arguments()} for c in t]] for t in turns]
        for mode, raw in (("prompt", prompt), ("fc", fc)):
            verdict = score_multi_turn(
                case, raw, mode=mode, underscore_to_dot=False, suite_extra=real_suite.extra
            )
            assert verdict.valid, (case.case_id, mode, verdict.error_type)


def test_a_real_file_system_case_detects_a_wrong_move(real_suite) -> None:
    case = next(c for c in real_suite.cases if c.case_id == "multi_turn_base_0")
    sources = EnvironmentSources.from_suite_extra(real_suite.extra)
    turns = ground_truth_turns(case.answer, sources, case.extra["involved_classes"])
    raw = [["[" + ", ".join(c.as_prompt_text() for c in t) + "]"] for t in turns]
    raw[0] = ["[cd(folder='document'), mkdir(dir_name='elsewhere')]"]
    verdict = score_multi_turn(
        case, raw, mode="prompt", underscore_to_dot=False, suite_extra=real_suite.extra
    )
    assert verdict.error_type == "multi_turn:instance_state_mismatch"
