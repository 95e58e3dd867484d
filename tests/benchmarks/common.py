"""Timing helpers: medians of repeated runs."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    name: str
    median: float
    p90: float
    runs: int
    target: float | None = None
    unit: str = "ms"
    note: str = ""
    samples: list[float] | None = None

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "OK" if self.median <= self.target else "OVER"


def summarise(name: str, samples: list[float], target: float | None = None, unit: str = "ms", note: str = "") -> Result:
    samples = sorted(samples)
    p90 = samples[min(len(samples) - 1, int(round(0.9 * (len(samples) - 1))))]
    return Result(name, statistics.median(samples), p90, len(samples), target, unit, note, samples)


def measure(name: str, fn: Callable[[], object], repeat: int, target: float | None = None,
            warmup: int = 1, note: str = "") -> Result:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return summarise(name, times, target, "ms", note)
