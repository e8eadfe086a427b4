"""Where a sweep's runs execute: a local process pool or a Dask distributed cluster.

:meth:`Backend.map` yields each task's outcome as it completes (any order), so the driver
writes it to the store at once and a driver killed later loses no finished run. Tasks
(:class:`~cxsim.experiments.sweeps.SweepTask`, holding a run spec) and outcomes (model-free
summaries) are what cross processes. The outcome of a run never depends on the backend or
the worker count: its seed and inputs are in its spec.

* local (default): ``workers`` at a time (default ``os.cpu_count()``): a thread of this
  process and ``workers - 1`` spawned processes; one worker runs everything in this
  process (:class:`LocalBackend`).
* Dask: ``scheduler`` is a scheduler address (``tcp://host:8786``) or ``"local"``, which
  starts a ``LocalCluster(processes=True)`` on 127.0.0.1 with ``workers`` workers (default
  2) of one thread each, forked on Linux, closed at the end (:func:`start_local_cluster`).
  Tasks go out a window at a time (:class:`DaskBackend`).
"""

from __future__ import annotations

import itertools
import multiprocessing
import sys
import threading
import uuid
import weakref
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Any, TypeVar

from cxsim.core.parameters import ParameterError
from cxsim.experiments.pool import check_workers, default_workers

Task = TypeVar("Task")
Outcome = TypeVar("Outcome")

#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = 5
#: How a LocalCluster's workers start (see :func:`start_local_cluster`): forked on Linux;
#: elsewhere (macOS, where forking a process that loaded system frameworks is unsafe,
#: and Windows) spawned.
FORK_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
#: Times a broken local pool is started again before its unfinished tasks count as failed.
MAX_RESTARTS = 3


class _CountersByModel(weakref.WeakKeyDictionary):
    """Mesa's per-model agent id counters, holding each model weakly: a counter starts
    at 1 for a model not seen before, as Mesa's own ``defaultdict`` does."""

    def __getitem__(self, model: Any) -> Any:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


def release_finished_models() -> None:
    """Let each finished model be freed, in this process, from now on.

    Mesa 3.3's ``Agent`` keeps a class-level ``defaultdict`` of id counters keyed by every
    model ever built, so a process that runs model after model keeps them all (Mesa issue
    3179, fixed in later Mesa versions): about 0.3 MB a small run, which made the driver's
    memory grow with the sweep once it runs tasks too. This replaces that dictionary with
    one holding the models weakly (the counters of live models carried over; ids are
    numbered exactly as before). A Mesa without the class-level dictionary is left as
    it is. Every backend calls it before each task, in the driver and in the workers.
    """
    from mesa import Agent

    counters = Agent.__dict__.get("_ids")
    if isinstance(counters, defaultdict):
        weak = _CountersByModel()
        weak.update(counters)
        Agent._ids = weak


@dataclass(frozen=True)
class _Releasing:
    """``function(task)`` after :func:`release_finished_models` (picklable)."""

    function: Callable[[Any], Any]

    def __call__(self, task: Any) -> Any:
        release_finished_models()
        return self.function(task)


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
    return LocalBackend(workers or default_workers()).prestart()


class LocalBackend(Backend):
    """This process and ``workers - 1`` spawned local processes.

    A spawned worker spends about a second importing cxsim (mostly Mesa, pandas and
    SciPy) before its first run, while this process has them loaded already. So this
    process is one of the ``workers``: a thread here runs tasks from the start, taking
    them from the same queue as the pool, while the main thread stores each outcome as it
    arrives. ``workers`` processes do the runs in all (one worker: this process alone).
    The spawned processes are kept from one :meth:`map` to the next (a calibration's
    waves import cxsim once) until :meth:`close`; :meth:`prestart` starts them before the
    first map, so they import cxsim while the driver gets ready (opens a sweep's store).

    A worker that dies (``kill -9``, out of memory) breaks a process pool: the tasks the
    pool held go back to the queue and the pool is started again, up to
    :data:`MAX_RESTARTS` times; after that the tasks a broken pool held yield
    ``lost(task, BrokenProcessPool)`` and this process runs the rest.
    """

    #: Tasks handed to the pool per spawned worker: one running and one queued, so a
    #: worker never waits for the driver between tasks.
    IN_FLIGHT = 2

    def __init__(self, workers: int):
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._size = 0

    def prestart(self) -> LocalBackend:
        """Start the ``workers - 1`` spawned processes now (each imports cxsim while this
        process goes on, opening a sweep's store say); returns this backend."""
        if self.workers > 1:
            executor = self._executor_for(self.workers - 1)
            for _ in range(self.workers - 1):
                executor.submit(_ready)
        return self

    def close(self) -> None:
        self._drop_executor()

    def _executor_for(self, workers: int) -> ProcessPoolExecutor:
        """The kept executor, or a new one of ``workers`` processes if it has fewer."""
        if self._executor is None or self._size < workers:
            self._drop_executor()
            self._executor = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            self._size = workers
        return self._executor

    def _drop_executor(self) -> None:
        """Shut the executor down (cancelling what it has not started), if any."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def map(self, function, tasks, lost):
        function = _Releasing(function)
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                yield _call(function, task, lost)
            return
        queue = _TaskQueue(len(tasks))
        outcomes: SimpleQueue = SimpleQueue()
        thread = threading.Thread(target=_run_here, name="cxsim-driver-worker", daemon=True,
                                  args=(function, tasks, lost, queue, outcomes))
        # at most one spawned process per task beyond the one this process runs
        pool = _RestartingPool(self, function, tasks, lost, min(self.workers, len(tasks)) - 1,
                               outcomes)
        try:
            pool.refill(queue)  # first, so the pool has its share even of instant tasks
            thread.start()
            remaining = len(tasks)
            while remaining:
                source, index, outcome = outcomes.get()
                if source == "pool":
                    outcome = pool.settle(index, outcome, queue)
                    pool.refill(queue)
                    if outcome is None:  # a broken pool's: the task went back to the queue
                        continue
                remaining -= 1
                yield outcome
        finally:
            queue.close()
            pool.close()
            if thread.is_alive():
                thread.join()


def _ready() -> None:
    """Nothing: a spawned worker that runs it has imported cxsim (to unpickle it)."""


def _call(function, task, lost):
    """``function(task)``, or ``lost(task, error)`` if it raised."""
    try:
        return function(task)
    except Exception as error:
        return lost(task, error)


def _run_here(function, tasks, lost, queue: _TaskQueue, outcomes: SimpleQueue) -> None:
    """The driver's own worker (a thread): run tasks from ``queue`` until it is closed."""
    while (index := queue.take(wait=True)) is not None:
        outcomes.put(("here", index, _call(function, tasks[index], lost)))


class _TaskQueue:
    """Indices of the tasks not yet taken, shared by the driver's thread and the pool."""

    def __init__(self, count: int):
        self._pending = deque(range(count))
        self._closed = False
        self._changed = threading.Condition()

    def take(self, wait: bool = False) -> int | None:
        """The next task's index; None when the queue is closed, or (unless ``wait``)
        empty. With ``wait``, an empty queue waits for tasks given back."""
        with self._changed:
            while wait and not self._pending and not self._closed:
                self._changed.wait()
            return self._pending.popleft() if self._pending and not self._closed else None

    def give_back(self, indices: list[int]) -> None:
        """Tasks taken but not finished (a broken pool's): first in line again."""
        with self._changed:
            self._pending.extendleft(reversed(indices))
            self._changed.notify_all()

    def close(self) -> None:
        """Hand out no more tasks (a waiting :meth:`take` returns None)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()


class _RestartingPool:
    """One map's use of the backend's spawned processes, fed from a :class:`_TaskQueue`
    (``IN_FLIGHT`` tasks per worker); finished futures arrive on ``outcomes`` as
    ``("pool", index, future)``. A broken pool gives its tasks back to the queue and a new
    one starts, up to :data:`MAX_RESTARTS` times; then the pool takes no more tasks."""

    def __init__(self, backend: LocalBackend, function, tasks, lost, workers: int,
                 outcomes: SimpleQueue):
        self.backend, self.function, self.tasks, self.lost = backend, function, tasks, lost
        self.workers, self.outcomes = workers, outcomes
        self.held: dict[int, Future] = {}  # index -> future, of the current executor
        self.restarts = 0
        self.given_up = False

    def refill(self, queue: _TaskQueue) -> None:
        """Hand tasks to the pool until each worker has ``IN_FLIGHT`` (and at least one
        task of the map is left to this process)."""
        capacity = min(LocalBackend.IN_FLIGHT * self.workers, len(self.tasks) - 1)
        while not self.given_up and len(self.held) < capacity:
            index = queue.take()
            if index is None:
                return
            try:
                executor = self.backend._executor_for(self.workers)
                future = executor.submit(self.function, self.tasks[index])
            except BrokenProcessPool:
                queue.give_back([index])
                self._broke(queue)
                continue
            self.held[index] = future
            future.add_done_callback(lambda done, i=index: self.outcomes.put(("pool", i, done)))

    def settle(self, index: int, future: Future, queue: _TaskQueue):
        """The outcome of a finished future, or None when the pool broke and the task
        went back to ``queue`` (or when the future is an abandoned pool's)."""
        if self.held.get(index) is not future:
            return None  # the task was given back when its pool broke
        del self.held[index]
        try:
            return future.result()
        except BrokenProcessPool as error:
            if self.given_up or self.restarts >= MAX_RESTARTS:
                self.given_up = True
                return self.lost(self.tasks[index], error)
            queue.give_back([index])
            self._broke(queue)
            return None
        except Exception as error:  # the call raised
            return self.lost(self.tasks[index], error)

    def _broke(self, queue: _TaskQueue) -> None:
        """The executor is broken: give its tasks back and drop it (a new one starts on
        the next :meth:`refill`), or give up after :data:`MAX_RESTARTS` restarts (its
        tasks then arrive broken and are lost)."""
        if self.restarts >= MAX_RESTARTS:
            self.given_up = True
            return
        self.restarts += 1
        queue.give_back(list(self.held))
        self.held.clear()
        self.backend._drop_executor()

    def close(self) -> None:
        """The map is over: cancel the tasks not started (the executor stays for the next
        map, unless it broke for good)."""
        for future in self.held.values():
            future.cancel()
        if self.given_up:
            self.backend._drop_executor()


class DaskBackend(Backend):
    """A Dask distributed client (and the LocalCluster it started, if any).

    Tasks are submitted a window at a time (:data:`IN_FLIGHT_PER_THREAD` per worker thread,
    at least :data:`MIN_IN_FLIGHT`; the cluster's thread count is looked up again every
    :data:`REFRESH_SECONDS`, so a cluster that grows gets a wider window): the driver and
    the scheduler hold a few futures at a time, not one per run of the sweep.
    """

    IN_FLIGHT_PER_THREAD = 4
    MIN_IN_FLIGHT = 16
    REFRESH_SECONDS = 2.0

    def __init__(self, client: Any, cluster: Any = None):
        self.client, self.cluster = client, cluster

    def map(self, function, tasks, lost):
        import time

        from distributed import as_completed as dask_completed

        if not tasks:
            return
        name = getattr(function, "__name__", "task")  # the dashboard's name for the tasks
        function = _Releasing(function)
        upcoming = iter(tasks)
        held: dict[Any, Any] = {}  # future -> task

        def submit(count: int) -> list[Any]:
            futures = []
            for task in itertools.islice(upcoming, max(count, 0)):
                future = self.client.submit(function, task, key=f"{name}-{uuid.uuid4().hex}")
                held[future] = task
                futures.append(future)
            return futures

        window, looked_up = self._window(), time.monotonic()
        completed = dask_completed(submit(window))
        for future in completed:
            task = held.pop(future)
            if time.monotonic() - looked_up > self.REFRESH_SECONDS:
                window, looked_up = self._window(), time.monotonic()
            completed.update(submit(window - len(held)))
            try:
                yield future.result()
            except Exception as error:
                yield lost(task, error)
            future.release()

    def _window(self) -> int:
        """Tasks to keep submitted: a few per worker thread of the cluster now."""
        threads = sum(w.get("nthreads", 1) for w in self.client.scheduler_info()
                      .get("workers", {}).values())
        return max(self.MIN_IN_FLIGHT, self.IN_FLIGHT_PER_THREAD * threads)

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

    from distributed import Client

    scheduler = check_scheduler(scheduler)
    if scheduler == "local":
        return start_local_cluster(workers or 2)
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except Exception as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ParameterError(f"--scheduler = {scheduler!r} is not allowed: no Dask scheduler "
                             f"answered within {CONNECT_TIMEOUT} s ({reason}); expected a "
                             "running scheduler's address (dask scheduler prints it)") from None
    return client, None



def start_local_cluster(workers: int):
    """A Dask ``(client, LocalCluster)`` of ``workers`` processes with one thread each.

    The worker processes are forked from this one, which has cxsim, NumPy and Dask
    imported already, instead of spawned: a spawned worker imports Dask and then cxsim
    (about two seconds of CPU each) before its first run. Only the cluster's start forks
    (no thread here runs a model then); a worker the nanny restarts later is spawned, as
    Dask does by default. The workers' statistical profiler (a thread sampling the running
    task's stack every 10 ms, for the dashboard) is off: this cluster has no dashboard.
    """
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.worker.multiprocessing-method": FORK_METHOD,
                          "distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    return Client(cluster), cluster
