"""Scoring: BFCL-exact verdicts for model output, computed without running any of it.

Public API: :func:`score_case`, :func:`score_inference_error` and :class:`Verdict`;
:func:`farm.finalize.write_run_scores` aggregates a run into ``run_scores``.
"""

from farm.scoring.score import decode_calls, score_case, score_inference_error
from farm.scoring.verdict import Verdict

__all__ = ["Verdict", "decode_calls", "score_case", "score_inference_error"]
