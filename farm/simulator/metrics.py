"""Prometheus metrics of the simulator, under vLLM's metric names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

#: Bucket bounds of the latency histograms, in seconds.
BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass
class Histogram:
    """A cumulative Prometheus histogram."""

    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: float = 0.0
    n: int = 0

    def observe(self, value: float) -> None:
        """Add one observation."""
        self.total += value
        self.n += 1
        for i, bound in enumerate(BUCKETS):
            if value <= bound:
                self.counts[i] += 1

    def render(self, name: str, labels: str) -> list[str]:
        """The exposition lines of this histogram."""
        lines = [f"# TYPE {name} histogram"]
        for bound, count in zip(BUCKETS, self.counts, strict=True):
            lines.append(f'{name}_bucket{{{labels},le="{bound}"}} {count}')
        lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {self.n}')
        lines.append(f"{name}_sum{{{labels}}} {self.total}")
        lines.append(f"{name}_count{{{labels}}} {self.n}")
        return lines


@dataclass
class Metrics:
    """Counters and gauges the simulator keeps."""

    running: int = 0
    waiting: int = 0
    capacity: int = 1
    prompt_tokens: int = 0
    generation_tokens: int = 0
    finished: Counter[str] = field(default_factory=Counter)
    http: Counter[tuple[str, int]] = field(default_factory=Counter)
    e2e: Histogram = field(default_factory=Histogram)
    queue: Histogram = field(default_factory=Histogram)

    def render(self, model_name: str) -> str:
        """The Prometheus text exposition."""
        labels = f'model_name="{model_name}"'
        lines = [
            "# TYPE vllm:num_requests_running gauge",
            f"vllm:num_requests_running{{{labels}}} {self.running}",
            "# TYPE vllm:num_requests_waiting gauge",
            f"vllm:num_requests_waiting{{{labels}}} {self.waiting}",
            "# TYPE vllm:kv_cache_usage_perc gauge",
            f"vllm:kv_cache_usage_perc{{{labels}}} {self.running / self.capacity}",
            "# TYPE vllm:prompt_tokens_total counter",
            f"vllm:prompt_tokens_total{{{labels}}} {self.prompt_tokens}",
            "# TYPE vllm:generation_tokens_total counter",
            f"vllm:generation_tokens_total{{{labels}}} {self.generation_tokens}",
            "# TYPE vllm:request_success_total counter",
        ]
        for reason in ("stop", "length", "abort"):
            lines.append(
                f'vllm:request_success_total{{{labels},finished_reason="{reason}"}} '
                f"{self.finished[reason]}"
            )
        lines += self.e2e.render("vllm:e2e_request_latency_seconds", labels)
        lines += self.queue.render("vllm:request_queue_time_seconds", labels)
        lines.append("# TYPE http_requests_total counter")
        for (handler, status), count in sorted(self.http.items()):
            lines.append(f'http_requests_total{{handler="{handler}",status="{status}"}} {count}')
        return "\n".join(lines) + "\n"
