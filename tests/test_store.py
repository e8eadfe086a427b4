"""The sweep store: atomic run files, torn files redone, failures recorded, foreign
stores refused, and the store readable by pandas directly."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from sweep_helpers import die_once, write_spec

from cxsim.core.parameters import ParameterError
from cxsim.experiments import store as store_module
from cxsim.experiments.store import load_sweep, store_status, write_file_atomically
from cxsim.experiments.sweeps import load_sweep_spec, run_sweep, run_task


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished 6-run sweep (3 points x 2 replicates), run in this process."""
    root = tmp_path_factory.mktemp("store")
    spec = load_sweep_spec(write_spec(root))
    frame = run_sweep(spec, root / "out", workers=1, progress=False)
    return spec, root / "out", frame


def _snapshot(directory):
    return {p.relative_to(directory): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file()}


def test_one_file_per_run_named_by_hash_and_readable_directly(finished):
    spec, out, frame = finished
    assert len(frame) == 6 and (frame["status"] == "done").all()
    files = sorted((out / "runs").iterdir())
    assert [f.stem for f in files] == sorted(frame["spec_hash"])
    direct = pd.read_parquet(out / "runs").sort_values(["point", "replicate"])
    pd.testing.assert_frame_equal(direct.reset_index(drop=True), frame, check_dtype=False)
    assert list(frame.columns[-5:]) == spec.keys + ["csat", "nps", "revenue"]
    status = store_status(out)
    assert (status.total, status.done, status.pending, status.failed) == (6, 6, 0, {})


def test_atomic_write_leaves_whole_file_or_none(tmp_path, monkeypatch):
    target = tmp_path / "a.parquet"
    write_file_atomically(target, b"old")

    def broken_replace(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_file_atomically(target, b"new contents")
    assert target.read_bytes() == b"old"


def test_torn_file_is_redone_and_result_equal(finished, tmp_path):
    spec, out, frame = finished
    copy = tmp_path / "out"
    for path, data in _snapshot(out).items():
        (copy / path).parent.mkdir(parents=True, exist_ok=True)
        (copy / path).write_bytes(data)
    victim = copy / "runs" / f"{frame['spec_hash'][2]}.parquet"
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])  # torn
    other = copy / "runs" / f"{frame['spec_hash'][3]}.parquet"
    other.write_bytes((copy / "runs" / f"{frame['spec_hash'][4]}.parquet").read_bytes())
    assert store_status(copy).done == 4
    calls = []

    def counting(task):
        calls.append(task.spec.content_hash)
        return run_task(task)

    again = run_sweep(spec, copy, workers=1, progress=False, function=counting)
    assert sorted(calls) == sorted([frame["spec_hash"][2], frame["spec_hash"][3]])
    pd.testing.assert_frame_equal(again, frame)
    assert _snapshot(copy) == _snapshot(out)


def test_failed_run_is_recorded_and_the_rest_go_on(tmp_path):
    spec = load_sweep_spec(write_spec(tmp_path))
    bad = None

    def sometimes_failing(task):
        nonlocal bad
        if bad is None:
            bad = task.spec.content_hash
            raise RuntimeError("worker exploded")
        return run_task(task)

    frame = run_sweep(spec, tmp_path / "out", workers=1, progress=False,
                      function=sometimes_failing)
    assert len(frame) == 6
    failed = frame[frame["status"] == "failed"]
    assert list(failed["spec_hash"]) == [bad]
    assert "worker exploded" in failed["error"].iloc[0]
    assert failed["csat"].isna().all() and frame["csat"].notna().sum() == 5
    status = store_status(tmp_path / "out")
    assert (status.done, status.pending) == (5, 0)
    assert "worker exploded" in status.failed[bad]
    # resuming redoes the failed run only, and its failure record goes
    frame = run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    assert (frame["status"] == "done").all()
    assert not any((tmp_path / "out" / "failed").iterdir())


def test_failure_inside_worker_function_is_recorded(tmp_path, monkeypatch):
    spec = load_sweep_spec(write_spec(tmp_path, samples=2, replicates=1))

    def boom(run):
        raise ZeroDivisionError("no answers")

    monkeypatch.setattr("cxsim.experiments.sweeps.run_spec", boom)
    frame = run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    assert (frame["status"] == "failed").all()
    assert frame["error"].str.contains("ZeroDivisionError: no answers").all()


def test_another_sweeps_store_is_refused_and_untouched(finished, tmp_path):
    _, out, _ = finished
    before = _snapshot(out)
    other = load_sweep_spec(write_spec(tmp_path, seed=6, name="other"))
    with pytest.raises(ParameterError, match="holds another sweep's store") as error:
        run_sweep(other, out, workers=1, progress=False)
    assert len(error.value.errors) == 1
    assert _snapshot(out) == before
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("mine")
    with pytest.raises(ParameterError, match="without sweep.json"):
        run_sweep(other, stray, workers=1, progress=False)
    assert [p.name for p in stray.iterdir()] == ["notes.txt"]


def test_unreadable_manifest_is_an_error(tmp_path):
    (tmp_path / "sweep.json").write_text("{not json")
    with pytest.raises(ParameterError, match="sweep manifest"):
        load_sweep(tmp_path)


def test_daily_series_stored_when_asked(tmp_path):
    spec = load_sweep_spec(write_spec(tmp_path, samples=2, replicates=1,
                                      extra="daily = true"))
    frame = run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    daily = store_module.load_daily(tmp_path / "out")
    assert set(daily["spec_hash"]) == set(frame["spec_hash"])
    assert len(daily) == 2 * len(daily[daily["spec_hash"] == frame["spec_hash"][0]])



def test_a_dead_worker_loses_nothing(finished, tmp_path, monkeypatch):
    spec, _, frame = finished
    monkeypatch.setenv("CXSIM_TEST_DIE_ONCE", str(tmp_path / "died"))
    again = run_sweep(spec, tmp_path / "out", workers=2, progress=False, function=die_once)
    assert (tmp_path / "died").exists()  # a worker did die
    pd.testing.assert_frame_equal(again, frame)
