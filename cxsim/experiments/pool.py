"""A local process pool that returns results in task order, whatever the worker count.

Workers are started with ``spawn`` (the driver runs tasks in a thread meanwhile, which
makes ``fork`` unsafe), so a task and its function must pickle: send
:class:`~cxsim.experiments.specs.RunSpec` objects and module-level functions, and return
model-free results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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

    Runs on :class:`~cxsim.experiments.backends.LocalBackend`: this process is one of the
    workers (with one worker, or one task, everything runs here). ``on_done(index)`` is
    called as each task finishes (in completion order, for progress bars); the returned
    list is in task order, so the outcome never depends on the worker count. The first
    exception raised by a task is raised here, after the pending tasks are cancelled.
    """
    from cxsim.experiments.backends import LocalBackend

    workers = min(check_workers(workers), max(len(tasks), 1))
    results: list[Any] = [None] * len(tasks)
    with LocalBackend(workers) as backend:
        for index, outcome, error in backend.map(_Indexed(function), list(enumerate(tasks)),
                                                 _failed):
            if error is not None:
                raise error
            results[index] = outcome
            if on_done is not None:
                on_done(index)
    return results


@dataclass(frozen=True)
class _Indexed:
    """``function`` on an ``(index, task)`` pair, returning ``(index, outcome, None)``."""

    function: Callable[[Any], Any]

    def __call__(self, item: tuple[int, Any]) -> tuple[int, Any, None]:
        index, task = item
        return index, self.function(task), None


def _failed(item: tuple[int, Any], error: BaseException) -> tuple[int, None, BaseException]:
    return item[0], None, error
