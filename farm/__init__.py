"""farm: a distributed evaluation farm for LLM function calling."""

__version__ = "0.1.0"
