"""BFCL v4 format-sensitivity statistics: accuracy per configuration, max delta, deviation.

Source of the facts: ``eval_checker/eval_runner.py`` (``format_sensitivity_runner``) of
bfcl-eval 2026.3.23. Configurations and case ids: :mod:`farm.suites.sensitivity`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from farm.suites.sensitivity import split_case_id

#: ``run_scores.kind`` of a configuration's score (``category`` = the configuration string,
#: ``n`` = its cases, ``correct``, ``errors``, ``accuracy`` = correct / n).
CONFIG_KIND = "format_config"
#: ``run_scores.kind`` of a statistic (``category`` = its name in :data:`STAT_NAMES`,
#: ``accuracy`` = its value in BFCL's units, ``n`` = the configurations it is over).
STAT_KIND = "format_stat"
#: The statistics, named as in the header of BFCL's score file.
MAX_DELTA = "accuracy_max_delta"
STD = "accuracy_std"
VARIANCE = "accuracy_variance"
STAT_NAMES: tuple[str, ...] = (MAX_DELTA, STD, VARIANCE)


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

    def stats(self) -> dict[str, float]:
        """``{accuracy_max_delta, accuracy_std, accuracy_variance}`` as BFCL's header names them."""
        return {MAX_DELTA: self.max_delta, STD: self.std, VARIANCE: self.variance}


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


def stats_text(stats: Mapping[str, float]) -> str:
    """``max delta 12.5, std 4.1, variance 16.81`` (BFCL's units: points, points squared)."""
    return (
        f"max delta {stats.get(MAX_DELTA, 'N/A')}, std {stats.get(STD, 'N/A')}, "
        f"variance {stats.get(VARIANCE, 'N/A')}"
    )
