"""Where a sweep's runs execute: a local process pool or a Dask distributed cluster.

:meth:`Backend.map` yields each task's outcome as it completes (any order), so the driver
writes it to the store at once and a driver killed later loses no finished run. Tasks
(:class:`~cxsim.experiments.sweeps.SweepTask`, holding a run spec) and outcomes (model-free
summaries) are what cross processes. The outcome of a run never depends on the backend or
the worker count: its seed and inputs are in its spec.

* local (default): ``workers`` spawned processes (default ``os.cpu_count()``); one worker
  runs everything in this process.
* Dask: ``scheduler`` is a scheduler address (``tcp://host:8786``) or ``"local"``, which
  starts a ``LocalCluster(processes=True)`` on 127.0.0.1 with ``workers`` workers (default
  2) of one thread each, closed at the end.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from cxsim.core.parameters import ParameterError
from cxsim.experiments.pool import check_workers, default_workers

Task = TypeVar("Task")
Outcome = TypeVar("Outcome")

#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = 5
#: Times a broken local pool is started again before its unfinished tasks count as failed.
MAX_RESTARTS = 3


class Backend:
    """Runs tasks and yields their outcomes as they complete; :meth:`close` it after."""

    def map(self, function: Callable[[Task], Outcome], tasks: Sequence[Task],
            lost: Callable[[Task, BaseException], Outcome]) -> Iterator[Outcome]:
        """``function(task)`` for every task, yielded as each completes. A task whose
        process dies or whose call raises (``function`` should catch its own errors)
        yields ``lost(task, error)`` instead, and the others go on."""
        raise NotImplementedError

    def close(self) -> None:
        """Release workers and connections."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start(*, workers: int | None = None, scheduler: str | None = None) -> Backend:
    """The local pool (``workers`` processes, default the machine's cores) or, with
    ``scheduler``, a Dask client (connected now: an unreachable scheduler is a one-line
    ParameterError before anything is written)."""
    if workers is not None:
        workers = check_workers(workers, "--workers")
    if scheduler is not None:
        return DaskBackend(*connect(scheduler, workers))
    return LocalBackend(workers or default_workers())


class LocalBackend(Backend):
    """Spawned local processes (one worker: this process).

    A worker that dies (``kill -9``, out of memory) breaks a process pool: the pool is
    started again for the tasks not finished, up to :data:`MAX_RESTARTS` times; after that
    the unfinished tasks yield ``lost(task, BrokenProcessPool)``.
    """

    def __init__(self, workers: int):
        self.workers = workers

    def map(self, function, tasks, lost):
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                try:
                    yield function(task)
                except Exception as error:
                    yield lost(task, error)
            return
        remaining = list(range(len(tasks)))
        restarts = 0
        while remaining:
            finished: set[int] = set()
            for index, outcome in self._pool(function, tasks, lost, remaining,
                                             give_up=restarts >= MAX_RESTARTS):
                finished.add(index)
                yield outcome
            remaining = [i for i in remaining if i not in finished]
            restarts += 1

    def _pool(self, function, tasks, lost, indices: list[int], give_up: bool):
        """``(index, outcome)`` of the tasks at ``indices`` on a fresh pool; stops at a
        broken pool unless ``give_up`` (then the unfinished tasks are lost)."""
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(indices)),
                                 mp_context=context) as pool:
            futures = {pool.submit(function, tasks[i]): i for i in indices}
            for future in as_completed(futures):
                index = futures[future]
                try:
                    outcome = future.result()
                except BrokenProcessPool as error:
                    if not give_up:
                        return  # start a new pool for the tasks not finished
                    outcome = lost(tasks[index], error)
                except Exception as error:  # the call raised
                    outcome = lost(tasks[index], error)
                yield index, outcome


class DaskBackend(Backend):
    """A Dask distributed client (and the LocalCluster it started, if any)."""

    def __init__(self, client: Any, cluster: Any = None):
        self.client, self.cluster = client, cluster

    def map(self, function, tasks, lost):
        from distributed import as_completed as dask_completed

        if not tasks:
            return
        futures = {self.client.submit(function, task, pure=False): task for task in tasks}
        for future in dask_completed(list(futures)):
            task = futures.pop(future)
            try:
                yield future.result()
            except Exception as error:
                yield lost(task, error)
            future.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def check_scheduler(scheduler: Any) -> str:
    """``scheduler`` as text: ``"local"`` or an address, or ParameterError."""
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ParameterError(f"--scheduler = {scheduler!r} is not allowed: expected local or "
                             "a Dask scheduler address such as tcp://host:8786")
    return scheduler.strip()


def connect(scheduler: str, workers: int | None):
    """A Dask ``(client, cluster)``: ``cluster`` is the LocalCluster started for
    ``"local"`` (else None). An unreachable scheduler is a one-line ParameterError."""
    import logging

    from distributed import Client, LocalCluster

    scheduler = check_scheduler(scheduler)
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        return Client(cluster), cluster
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except Exception as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ParameterError(f"--scheduler = {scheduler!r} is not allowed: no Dask scheduler "
                             f"answered within {CONNECT_TIMEOUT} s ({reason}); expected a "
                             "running scheduler's address (dask scheduler prints it)") from None
    return client, None

