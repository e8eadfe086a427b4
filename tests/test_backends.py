"""Backends: every task's outcome arrives exactly once, whoever runs it (the driver's
own thread, spawned workers, restarted pools, a Dask cluster fed a window at a time)."""

from __future__ import annotations

import gc
import os

import backend_helpers
import mesa
from backend_helpers import build_model, die_in_a_worker, lost, square

from cxsim.experiments import backends
from cxsim.experiments.backends import DaskBackend, LocalBackend, release_finished_models


def _by_task(outcomes):
    by_task = {}
    for outcome in outcomes:
        assert outcome[0] not in by_task, f"task {outcome[0]} came back twice"
        by_task[outcome[0]] = outcome
    return by_task


def test_local_pool_runs_every_task_once_in_the_driver_and_a_worker():
    tasks = list(range(40)) + [-1, -2]
    with LocalBackend(2) as backend:
        outcomes = _by_task(backend.map(square, tasks, lost))
    assert sorted(outcomes) == sorted(tasks)
    assert all(outcomes[n][1] == n * n for n in range(40))
    assert outcomes[-1][1] == outcomes[-2][1] == "ValueError"  # recorded, the rest went on
    pids = {outcome[2] for outcome in outcomes.values()}
    assert os.getpid() in pids and len(pids) == 2  # the driver works, and so does a worker


def test_spawned_workers_start_early_and_serve_every_map_until_closed():
    with backends.start(workers=2) as backend:
        first = _by_task(backend.map(square, list(range(12)), lost))
        second = _by_task(backend.map(square, list(range(12)), lost))
    spawned = [{o[2] for o in outcomes.values()} - {os.getpid()} for outcomes in (first, second)]
    assert len(spawned[0]) == 1 and spawned[0] == spawned[1]  # one process, kept between maps
    assert backend._executor is None  # closed with the backend


def test_a_short_map_spawns_no_process_it_cannot_use(monkeypatch):
    sizes = []

    class Recording(backends.ProcessPoolExecutor):
        def __init__(self, max_workers, **kwargs):
            sizes.append(max_workers)
            super().__init__(max_workers, **kwargs)

    monkeypatch.setattr(backends, "ProcessPoolExecutor", Recording)
    with LocalBackend(8) as backend:
        outcomes = _by_task(backend.map(square, [1, 2, 3], lost))
    assert sorted(outcomes) == [1, 2, 3] and sizes == [2]  # the driver runs the third
    assert os.getpid() in {outcome[2] for outcome in outcomes.values()}


def test_a_pool_that_breaks_too_often_loses_its_tasks_and_the_driver_runs_the_rest(
        monkeypatch):
    monkeypatch.setattr(backends, "MAX_RESTARTS", 0)
    tasks = list(range(30))
    with LocalBackend(2) as backend:
        outcomes = _by_task(backend.map(die_in_a_worker, tasks, lost))
    assert sorted(outcomes) == tasks
    # the pool held the first IN_FLIGHT tasks when its worker died: recorded as lost
    held = list(range(LocalBackend.IN_FLIGHT))
    assert [n for n in tasks if outcomes[n][1] == "BrokenProcessPool"] == held
    assert all(outcomes[n] == (n, n * n, os.getpid()) for n in tasks if n not in held)


def test_dask_feeds_a_window_and_returns_every_task_once(monkeypatch):
    monkeypatch.setattr(DaskBackend, "MIN_IN_FLIGHT", 3)
    monkeypatch.setattr(DaskBackend, "IN_FLIGHT_PER_THREAD", 1)
    tasks = list(range(25)) + [-3]
    with backends.start(workers=2, scheduler="local") as backend:
        submitted = []
        submit = backend.client.submit
        backend.client.submit = lambda *a, **k: submitted.append(a[1]) or submit(*a, **k)
        stream = backend.map(square, tasks, lost)
        first = next(stream)
        assert len(submitted) <= 3 + 1  # a window, not the whole sweep, is submitted
        outcomes = _by_task([first, *stream])
        workers = set(backend.client.run(os.getpid).values())
    assert sorted(outcomes) == sorted(tasks) and submitted == tasks
    assert outcomes[-3][1] == "ValueError"
    assert {outcomes[n][2] for n in range(25)} <= workers  # run by the cluster


def test_finished_models_are_freed_and_ids_numbered_as_before():
    live = mesa.Model()
    first = [mesa.Agent(live).unique_id for _ in range(3)]
    release_finished_models()
    assert first == [1, 2, 3] and mesa.Agent(live).unique_id == 4  # its counter carried over
    backend_helpers.BUILT.clear()
    with LocalBackend(1) as backend:
        ids = list(backend.map(build_model, [2, 3, 4], lost))
    assert ids == [[1, 2], [1, 2, 3], [1, 2, 3, 4]]  # each model counts from 1
    gc.collect()
    assert len(backend_helpers.BUILT) == 3
    assert all(ref() is None for ref in backend_helpers.BUILT)  # no finished model is kept
