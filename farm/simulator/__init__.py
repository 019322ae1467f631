"""The simulator: an OpenAI-compatible server that answers from a suite's ground truth."""
