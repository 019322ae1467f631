"""``farm demo``'s sample (the end-to-end runs are in test_embedded.py)."""

from __future__ import annotations

from farm.answers.ground_truth import is_wrong
from farm.cli.demo import DEMO_SEED, sample_line
from farm.simulator.config import SimulatorConfig
from farm.suites.selection import sample_cases


def test_the_demo_sample_is_drawn_independently_of_the_simulators_wrong_answers() -> None:
    # The sample ranks cases by sha256(f"{seed}:{id}"); the simulator's wrong answers come
    # from a hash of their own, so even the same seed does not pick exactly the cases the
    # simulator gets wrong (it did: an Overall near 0% for `farm run --sample N --seed 0`).
    pairs = [(f"case_{i}", f"category_{i % 7}") for i in range(3000)]
    seed, rate = SimulatorConfig().seed, 0.15  # the demo's simulator: its seed, --wrong-rate
    for sample_seed in (DEMO_SEED, seed):
        chosen = sample_cases(pairs, 300, sample_seed)
        wrong = sum(is_wrong(c, rate=rate, seed=seed) for c in chosen)
        assert 0.05 < wrong / len(chosen) < 0.3, sample_seed  # about the configured 15%


def test_the_sample_line_says_what_runs_of_each_category() -> None:
    totals = {"simple_python": 400, "live_relevance": 16}
    assert sample_line({"simple_python": 39, "live_relevance": 2}, totals) == (
        "running a stratified sample of 41 of 416 cases, every category (cases run / in the "
        "category: simple_python 39/400, live_relevance 2/16); --full runs them all"
    )
    assert sample_line(totals, totals) == "running all 416 cases of 2 categories"


def test_the_default_sample_holds_every_category_of_bfcl(bfcl_wheel) -> None:
    from collections import Counter

    from farm.cli.demo import DEMO_SAMPLE
    from farm.suites.categories import expand
    from farm.suites.wheel import read_wheel

    suite = read_wheel(bfcl_wheel)
    wanted = set(expand(["single_turn", "multi_turn", "agentic"]))
    pairs = [(c.case_id, c.category) for c in suite.cases if c.category in wanted]
    assert len(pairs) == 5106
    chosen = set(sample_cases(pairs, DEMO_SAMPLE, DEMO_SEED))
    ran = Counter(category for case_id, category in pairs if case_id in chosen)
    assert set(ran) == wanted and len(chosen) == DEMO_SAMPLE
    scenarios = {(c.category, c.extra.get("scenario")) for c in suite.cases if c.case_id in chosen}
    memory = {pair for pair in scenarios if pair[0].startswith("memory_")}
    # 13 of the 15 (backend, scenario) chains run: the sample stratifies by category only
    assert len(memory) == 13
