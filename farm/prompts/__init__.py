"""Prompts: BFCL's FC tool conversion and prompt-mode system prompt."""
