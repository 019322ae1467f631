"""What the farm reads from a server's startup log."""

from __future__ import annotations


def test_failure_signatures_and_startup_capacity_are_read_from_the_log():
    from workers.serving.host import startup_capacity
    from workers.serving.readiness import failure_hint

    log = (
        "INFO 01-01 loading\n"
        "INFO GPU KV cache size: 2,345,678 tokens\n"
        "INFO Maximum concurrency for 32,768 tokens per request: 71.58x\n"
    )
    assert startup_capacity(log) == (2345678, 71.58)
    assert startup_capacity("nothing") == (None, None)
    assert "KV cache too small" in failure_hint(
        "ValueError: The model's max seq len (131072) is larger than the maximum number of "
        "tokens that can be stored in KV cache (50000)"
    )
    assert "out of GPU memory" in failure_hint("torch.OutOfMemoryError: CUDA out of memory.")
    assert failure_hint("all fine") is None
