"""Where a tournament's sessions are played: local worker processes, or a Ray cluster.

Both split the numbered sessions into consecutive chunks (a few per worker, so that the
work stays balanced while process start-up and pickling stay small next to playing) and
put the chunks' rows back in session order; a session's result depends only on its
index, so every backend and every number of workers gives the same table.
"""

from __future__ import annotations

import logging
import math
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor, as_completed

import pyarrow as pa

from servanda.errors import UnsupportedError
from servanda.tournament.config import Backend, ProgressCallback, Tournament
from servanda.tournament.plan import Plan
from servanda.tournament.play import Prepared, play_range
from servanda.tournament.results import Results

#: Chunks per worker: enough to even out slow and fast chunks and to show progress.
CHUNKS_PER_WORKER = 8
#: Largest chunk, in sessions (progress stays visible in large tournaments).
MAX_CHUNK = 2000


def run(
    tournament: Tournament,
    *,
    backend: Backend | None = None,
    workers: int | None = None,
    address: str | None = None,
    progress: ProgressCallback | None = None,
    chunk_size: int | None = None,
) -> Results:
    """Play every session of ``tournament``.

    Parameters
    ----------
    tournament : Tournament
    backend : {"local", "ray"}, optional
        Default: the tournament's own.
    workers : int, optional
        Local processes or Ray tasks at a time; default: the tournament's own, otherwise
        every local core, or every CPU of the Ray cluster. One local worker plays in the
        calling process.
    address : str, optional
        Ray cluster address; default: the tournament's own, otherwise a Ray instance
        started on this machine for the run (and stopped after it). When Ray is already
        initialised in this process, that connection is used.
    progress : callable, optional
        Called as ``progress(done, total)`` (in sessions) at the start and after each chunk.
    chunk_size : int, optional
        Sessions per chunk (default: about ``CHUNKS_PER_WORKER`` chunks per worker).

    Returns
    -------
    Results
        The same table for the same configuration, whatever the backend and workers
        (with round deadlines; a deadline in seconds depends on the machine's speed).
    """
    backend = backend or tournament.backend
    workers = tournament.workers if workers is None else workers
    if backend not in ("local", "ray"):
        raise ValueError(f"unknown backend {backend!r}; expected local or ray")
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    plan = Plan.of(tournament)
    if backend == "local":
        batches = _local(plan, workers or os.cpu_count() or 1, chunk_size, progress)
    else:
        batches = _ray(plan, workers, address or tournament.address, chunk_size, progress)
    return Results.from_batches(batches, tournament.model_dump(mode="json"))


def chunks(total: int, workers: int, size: int | None = None) -> list[range]:
    """Consecutive ranges of session indices covering ``range(total)``."""
    if size is None:
        size = min(MAX_CHUNK, max(1, math.ceil(total / (workers * CHUNKS_PER_WORKER))))
    if size < 1:
        raise ValueError("a chunk holds at least one session")
    return [range(start, min(start + size, total)) for start in range(0, total, size)]


def _local(
    plan: Plan, workers: int, chunk_size: int | None, progress: ProgressCallback | None
) -> list[pa.RecordBatch]:
    ranges = chunks(plan.total, workers, chunk_size)
    report = _reporter(plan.total, progress)
    if workers == 1 or len(ranges) == 1:
        prepared = Prepared(plan)
        batches = []
        for r in ranges:
            batches.append(prepared.play(r.start, r.stop))
            report(len(r))
        return batches
    found: dict[int, pa.RecordBatch] = {}
    # The platform's way of starting processes, as for any process pool: on Linux before
    # Python 3.14 a fork, which is fast and lets the workers know a script's own strategy
    # classes; elsewhere forkserver or spawn, where a script guards its entry point with
    # `if __name__ == "__main__":` and strategies must be importable.
    pool = ProcessPoolExecutor(max_workers=min(workers, len(ranges)))
    try:
        futures = {pool.submit(play_range, plan, r.start, r.stop): i for i, r in enumerate(ranges)}
        for future in as_completed(futures):
            i = futures[future]
            found[i] = future.result()
            report(len(ranges[i]))
    finally:
        # On an error (or Ctrl-C), drop the chunks not started yet instead of playing them.
        pool.shutdown(wait=True, cancel_futures=True)
    return [found[i] for i in range(len(ranges))]


def _ray(
    plan: Plan,
    workers: int | None,
    address: str | None,
    chunk_size: int | None,
    progress: ProgressCallback | None,
) -> list[pa.RecordBatch]:
    try:
        import ray
    except ImportError:
        raise UnsupportedError("the ray backend needs Ray: pip install 'servanda[ray]'") from None
    started = not ray.is_initialized()
    if started:
        try:
            if address:
                ray.init(address=address, logging_level=logging.WARNING)
            else:
                ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.WARNING)
        except Exception as exc:  # Ray raises many kinds; the user needs one line
            where = f"at {address!r}" if address else "locally"
            message = " ".join(str(exc).split())
            raise UnsupportedError(f"cannot start or reach Ray {where}: {message}") from None
    try:
        workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        ranges = chunks(plan.total, workers, chunk_size)
        report = _reporter(plan.total, progress)
        task = ray.remote(play_range)
        shared = ray.put(plan)  # stored once, not pickled again for every chunk
        waiting = deque(enumerate(ranges))
        running: dict = {}
        found: dict[int, pa.RecordBatch] = {}
        try:
            while waiting or running:
                while waiting and len(running) < workers:
                    i, r = waiting.popleft()
                    running[task.remote(shared, r.start, r.stop)] = i
                ready, _ = ray.wait(list(running), num_returns=1)
                for ref in ready:
                    i = running.pop(ref)
                    found[i] = ray.get(ref)
                    report(len(ranges[i]))
        except BaseException:
            for ref in running:  # a cluster we only connected to goes on working otherwise
                ray.cancel(ref)
            raise
        return [found[i] for i in range(len(ranges))]
    finally:
        if started:
            ray.shutdown()


def _reporter(total: int, progress: ProgressCallback | None):
    """``report(sessions)``: count finished sessions and tell ``progress``."""
    done = 0

    def report(sessions: int) -> None:
        nonlocal done
        done += sessions
        if progress is not None:
            progress(done, total)

    report(0)
    return report
