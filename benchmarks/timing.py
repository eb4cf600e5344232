"""What every benchmark here times and prints the same way."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPEAT_BUDGET = 2.0  # seconds: repeat a timed call while the runs so far took less
MAX_RUNS = 3


def best_of(call: Callable[[], Any], max_runs: int = MAX_RUNS) -> tuple[float, Any]:
    """Fastest of up to ``max_runs`` runs of ``call`` (fewer once the runs so far took
    ``REPEAT_BUDGET`` seconds); returns (seconds, last result)."""
    times, total, result = [], 0.0, None
    while len(times) < max_runs and total < REPEAT_BUDGET:
        start = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        total += elapsed
    return min(times), result


def duration(seconds: float) -> str:
    """A duration for people: µs, ms, s, and years beyond a day or so."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 1e5:
        return f"{seconds:.2f} s"
    return f"{seconds:.2g} s (~{seconds / (365.25 * 86400):.2g} years)"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, as the README shows the results."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def filesystem(path: Path) -> str:
    """The type and device of the mount holding ``path``, from /proc/mounts."""
    best, found = "", "an unknown file system"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return found
    target = str(path.resolve())
    for line in mounts:
        device, point, kind = line.split()[:3]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, found = point, f"{kind} ({device} on {point})"
    return found
