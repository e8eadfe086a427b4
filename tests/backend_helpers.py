"""Cheap task functions for tests/test_backends.py (module level, so spawned and Dask
workers can import them by name)."""

from __future__ import annotations

import multiprocessing
import os


def square(number: int) -> tuple[int, int, int]:
    """``(number, number ** 2, pid)``; a negative number raises ValueError."""
    if number < 0:
        raise ValueError(f"negative: {number}")
    return number, number * number, os.getpid()


def die_in_a_worker(number: int) -> tuple[int, int, int]:
    """:func:`square`, except that a spawned worker process dies (``os._exit``) on it,
    as a worker killed with ``kill -9`` every time."""
    if multiprocessing.parent_process() is not None:
        os._exit(9)
    return square(number)


def lost(number: int, error: BaseException) -> tuple[int, str, int]:
    """The outcome of a task whose call raised or whose worker died."""
    return number, type(error).__name__, os.getpid()


#: Weak references to the models :func:`build_model` built (in this process).
BUILT: list = []


def build_model(agents: int) -> list[int]:
    """Build a bare Mesa model with ``agents`` agents; their unique ids."""
    import weakref

    import mesa

    model = mesa.Model()
    ids = [mesa.Agent(model).unique_id for _ in range(agents)]
    BUILT.append(weakref.ref(model))
    return ids
