"""Golden tests of the agentic checker and the format-sensitivity statistics (BFCL's rules)."""

from __future__ import annotations

import statistics

import pytest

from farm.agentic.checker import (
    ANSWER_NOT_FOUND,
    INFERENCE_ERROR,
    NO_LAST_MESSAGE,
    answer_found,
    score_agentic,
    standardize,
)
from farm.agentic.sensitivity import sensitivity_stats
from farm.errors import SuiteError
from farm.suites.sensitivity import all_configs, case_id, parse_config, split_case_id

FINAL = "{'answer': 'April 1, 2024', 'context': 'found on the page'}"


def test_standardize_keeps_spaces_drops_punctuation_and_swaps_quotes() -> None:
    assert standardize("April 1, 2024.") == "april 1 2024"
    assert standardize("U.S.-based (co_op) 2^3*x/y") == "usbased coop 23xy"
    assert standardize("it's 'quoted'") == 'it"s "quoted"'


@pytest.mark.parametrize(
    ("response", "answers", "found"),
    [
        ("The date is April 1,2024", ["April 1, 2024"], False),  # "1 2024" vs "12024"
        ("The date is April 1, 2024", ["april 1 2024"], True),
        ("Michaelson", ["Michael"], False),  # word boundary
        ("Mr. Michael!", ["Michael"], True),
        ("cost: $35", ["$35"], False),  # \b before "$" needs a word character
        ("a$35", ["$35"], True),
        (["Seattle is it", "ignored"], ["Seattle"], True),  # a list: its first element
        (["ignored", "Seattle"], ["Seattle"], False),
        ({"answer": "Seattle"}, ["Seattle"], True),  # str() of a dict
        ("thirty five years", ["35", "thirty five"], True),
    ],
)
def test_answer_found_follows_bfcl(response: object, answers: list[str], found: bool) -> None:
    assert answer_found(response, answers) is found


def test_the_answer_is_the_last_step_that_is_not_a_call() -> None:
    steps = ["[search_engine_query(keywords='x')]", FINAL]
    assert score_agentic([steps], ["April 1 2024"], mode="prompt").valid
    # the answer in an earlier step only: the last non-call message decides
    steps = [FINAL, "[search_engine_query(keywords='x')]", "I do not know"]
    verdict = score_agentic([steps], ["April 1 2024"], mode="prompt")
    assert (verdict.valid, verdict.error_type) == (False, ANSWER_NOT_FOUND)
    assert verdict.decoded == [["search_engine_query(keywords='x')"]]


def test_fc_steps_and_text_replies() -> None:
    call = [{"search_engine_query": '{"keywords": "x"}'}]
    assert score_agentic([[call, "Seattle"]], ["Seattle"], mode="fc").valid
    verdict = score_agentic([[call]], ["Seattle"], mode="fc")
    assert verdict.error_type == NO_LAST_MESSAGE


@pytest.mark.parametrize(
    "raw",
    [[["Seattle", ""]], [["Seattle", []]], [[]], [["[f(a=1)]"]]],
)
def test_a_falsy_or_missing_last_message_is_no_last_message(raw: object) -> None:
    verdict = score_agentic(raw, ["Seattle"], mode="prompt")
    assert (verdict.valid, verdict.error_type) == (False, NO_LAST_MESSAGE)


@pytest.mark.parametrize("raw", [None, "text", [], [["a"], ["b"]], [5]])
def test_not_one_turn_is_an_inference_error(raw: object) -> None:
    verdict = score_agentic(raw, ["a"], mode="prompt")
    assert (verdict.valid, verdict.error_type) == (False, INFERENCE_ERROR)


def test_a_text_turn_is_iterated_character_by_character_as_bfcl_does() -> None:
    # BFCL iterates the turn; a bare string turn yields one step per character
    verdict = score_agentic(["Seattle"], ["e"], mode="fc")
    assert verdict.valid
    assert score_agentic(["Seattle"], ["Seattle"], mode="fc").error_type == ANSWER_NOT_FOUND


def test_the_26_configs_and_ids() -> None:
    configs = all_configs()
    assert len(configs) == 26 == len(set(configs))
    assert configs[0] == (
        "ret_fmt=python&tool_call_tag=True&func_doc_fmt=python&prompt_fmt=plaintext&style=classic"
    )
    assert configs[-1].endswith("prompt_fmt=plaintext&style=experimental")
    assert all(parse_config(c).text == c for c in configs)
    cid = case_id(7, configs[3], "live_simple_13-3-9")
    assert split_case_id(cid) == (7, configs[3], "live_simple_13-3-9")
    with pytest.raises(SuiteError):
        split_case_id("simple_python_0")
    with pytest.raises(SuiteError):
        parse_config("ret_fmt=yaml&tool_call_tag=True&func_doc_fmt=python&prompt_fmt=x&style=y")


def test_sensitivity_stats_match_bfcls_formulas() -> None:
    configs = all_configs()[:3]
    pairs = []
    outcomes = {configs[0]: [1, 1, 1, 0], configs[1]: [1, 0, 0, 0], configs[2]: [1, 1, 0, 0]}
    i = 0
    for cfg, results in outcomes.items():
        for r in results:
            pairs.append((case_id(i, cfg, f"simple_python_{i}"), bool(r)))
            i += 1
    stats = sensitivity_stats(pairs)
    accs = [0.75, 0.25, 0.5]
    assert [s.accuracy for s in stats.per_config.values()] == accs
    assert stats.max_delta == 50.0
    assert stats.std == round(statistics.stdev(accs) * 100, 2) == 25.0
    assert stats.variance == 625.0
    single = sensitivity_stats(pairs[:4])
    assert (single.max_delta, single.std, single.variance) == (0.0, 0.0, 0.0)
