"""A local process pool that returns results in task order, whatever the worker count.

Workers are started with ``spawn`` (Mesa's import makes ``fork`` unsafe), so a task and
its function must pickle: send :class:`~cxsim.experiments.specs.RunSpec` objects and
module-level functions, and return model-free results.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from cxsim.core.parameters import ParameterError

Task = TypeVar("Task")
Outcome = TypeVar("Outcome")


def default_workers() -> int:
    """The machine's cores (``os.cpu_count()``, 1 if unknown)."""
    return os.cpu_count() or 1


def check_workers(workers: Any, name: str = "workers") -> int:
    """``workers`` as an int >= 1, or ParameterError."""
    import numpy as np

    if (not isinstance(workers, (int, np.integer)) or isinstance(workers, (bool, np.bool_))
            or not 1 <= int(workers) <= 1024):
        raise ParameterError(f"{name} = {workers!r} is not allowed: expected an integer from "
                             "1 to 1024")
    return int(workers)


def map_in_order(function: Callable[[Task], Outcome], tasks: Sequence[Task], workers: int,
                 on_done: Callable[[int], None] | None = None) -> list[Outcome]:
    """``[function(task) for task in tasks]``, on up to ``workers`` processes.

    With one worker (or one task) everything runs in this process. ``on_done(index)`` is
    called as each task finishes (in completion order, for progress bars); the returned
    list is in task order, so the outcome never depends on the worker count. The first
    exception raised by a task is raised here, after the pending tasks are cancelled.
    """
    workers = min(check_workers(workers), max(len(tasks), 1))
    if workers == 1:
        outcomes = []
        for index, task in enumerate(tasks):
            outcomes.append(function(task))
            if on_done is not None:
                on_done(index)
        return outcomes
    results: list[Any] = [None] * len(tasks)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(function, task): index for index, task in enumerate(tasks)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                error = future.exception()
                if error is not None:
                    for other in pending:
                        other.cancel()
                    raise error
                results[futures[future]] = future.result()
                if on_done is not None:
                    on_done(futures[future])
    return results
