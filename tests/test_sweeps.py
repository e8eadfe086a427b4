"""Sweeps: spec validation (fuzzed), designs covering their bounds, points applied to the
base scenario, identical stored results on every backend, and kill-and-resume."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sweep_helpers import write_spec

from cxsim.core.parameters import ParameterError
from cxsim.experiments.store import load_sweep, store_status
from cxsim.experiments.sweeps import SweepSpec, load_sweep_spec, plan, run_sweep
from cxsim.interfaces.cli import main

VALID = {"name": "fuzz", "base": "training", "design": "latin", "samples": 4,
         "replicates": 2, "seed": 1,
         "parameters": [{"key": "organisation.silo_strength", "low": 0.2, "high": 0.9}]}


def errors_of(data, base_dir=None) -> list[str]:
    with pytest.raises(ParameterError) as error:
        SweepSpec.from_dict(data, base_dir=base_dir)
    return error.value.errors


def with_parameter(**changes):
    return {**VALID, "parameters": [{**VALID["parameters"][0], **changes}]}


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize("data, expected", [
    (with_parameter(key="organisation.silo_strenght"),
     "unknown parameter 'organisation.silo_strenght': did you mean organisation.silo_strength"),
    (with_parameter(low=0.5, high=0.5), "parameters[1].high = 0.5 is not allowed: the range "
                                        "is empty"),
    (with_parameter(low=0.8, high=0.3), "parameters[1].low = 0.8 is not allowed: it is above "
                                        "high = 0.3"),
    (with_parameter(high=1.5), "parameters[1].high = 1.5 is not allowed: "
                               "organisation.silo_strength accepts 0 to 1"),
    ({**VALID, "samples": 0}, "samples = 0 is not allowed: expected an integer from 1"),
    ({**VALID, "replicates": 0}, "replicates = 0 is not allowed: expected an integer from 1"),
    ({**VALID, "design": "sobol", "samples": 3}, "samples = 3 is not allowed: expected a "
                                                 "power of 2"),
    ({**VALID, "design": "grid", "samples": 1000,
      "parameters": VALID["parameters"] + [
          {"key": "organisation.n_employees", "low": 40, "high": 60},
          {"key": "customers.n_customers", "low": 500, "high": 900}]},
     "samples = 1000 is not allowed for a grid design of 3 parameters"),
    ({**VALID, "outputs": ["csat", "nsp"]}, "outputs = 'nsp' is not allowed: expected a list "
                                            "of names among"),
    ({**VALID, "desing": "grid"}, "unknown key 'desing': did you mean design?"),
    (with_parameter(key="interventions.training.intensty", low=0.1, high=0.5),
     "unknown numeric field 'intensty' of training: did you mean intensity?"),
    ({**VALID, "base": "baseline", "parameters": [
        {"key": "interventions.training.intensity", "low": 0.1, "high": 0.5}]},
     "the base scenario has 0 interventions of type 'training'"),
    ({**VALID, "parameters": []}, "parameters = [] is not allowed"),
    ({**VALID, "base": "no_such_scenario"}, "is neither a file nor a library scenario"),
])
def test_bad_specs_are_one_line_errors(data, expected):
    errors = errors_of(data)
    assert any(expected in line for line in errors), errors
    assert all("\n" not in line and line.startswith("sweep: ") for line in errors)


def test_two_interventions_of_a_type_is_an_error(tmp_path):
    (tmp_path / "twice.toml").write_text(
        'extends = "training"\n[[interventions]]\ntype = "training"\n'
        '[[interventions]]\ntype = "training"\nstart = 5\n')
    errors = errors_of({**VALID, "base": "twice.toml", "parameters": [
        {"key": "interventions.training.intensity", "low": 0.1, "high": 0.5}]},
        base_dir=tmp_path)
    assert any("has 2 interventions of type 'training'" in e for e in errors), errors


def _json_values():
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                        st.floats(allow_nan=True, allow_infinity=True),
                        st.text(max_size=30), st.sampled_from(
                            ["grid", "latin", "sobol", "morris", "training", "csat",
                             "organisation.silo_strength", "interventions.training.hours"]))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner,
                                                     max_size=3)), max_leaves=6)


@given(key=st.sampled_from(list(VALID) + ["levels", "outputs", "daily", "junk"]),
       value=_json_values(), in_parameter=st.booleans(),
       parameter_key=st.sampled_from(["key", "low", "high", "integer", "other"]))
def test_fuzzed_specs_never_traceback(key, value, in_parameter, parameter_key):
    data = with_parameter(**{parameter_key: value}) if in_parameter else {**VALID, key: value}
    try:
        spec = SweepSpec.from_dict(data)
    except ParameterError as error:
        assert error.errors and all(line.strip() and "\n" not in line for line in error.errors)
    else:
        assert len(plan(spec)) == spec.points().shape[0] * spec.replicates


@given(text=st.text(max_size=200))
def test_fuzzed_spec_files_fail_cleanly_in_the_cli(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "spec.toml"
    path.write_text(text)
    with contextlib.redirect_stderr(io.StringIO()) as stderr:
        code = main(["sweep", str(path), "--out", str(path.parent / "out"), "--quiet"])
    err = stderr.getvalue()
    assert code == 2
    assert err.startswith("cxsim: error: ") and "Traceback" not in err
    assert not (path.parent / "out").exists()


def test_cli_errors_exit_2_and_leave_store_untouched(tmp_path, capsys):
    spec = write_spec(tmp_path, samples=2, replicates=1)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--quiet",
                 "--workers", "1"]) == 0
    before = sorted(p.name for p in (tmp_path / "out" / "runs").iterdir())
    other = write_spec(tmp_path, samples=2, replicates=1, seed=9, name="other")
    for argv, message in [
        (["sweep", str(other), "--out", str(tmp_path / "out")], "holds another sweep's store"),
        (["sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "0"],
         "--workers = 0 is not allowed"),
        (["sweep", str(spec), "--out", str(tmp_path / "out"), "--scheduler",
          "tcp://127.0.0.1:9"], "no Dask scheduler answered"),
        (["sweep", str(spec)], "--out is missing"),
        (["sweep", "--status", str(tmp_path)], "no sweep.json there"),
    ]:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert sorted(p.name for p in (tmp_path / "out" / "runs").iterdir()) == before
    assert main(["sweep", "--status", str(tmp_path / "out")]) == 0
    assert "2 runs: 2 done, 0 pending, 0 failed" in capsys.readouterr().out


def test_the_worked_example_is_valid():
    root = Path(__file__).resolve().parents[1]
    spec = load_sweep_spec(root / "experiments" / "sweeps" / "silos_and_training.toml")
    runs = plan(spec)
    assert len(runs) == 48 and spec.keys[-1] == "interventions.training.hours"
    assert {r.spec.config.n_employees for r in runs} == {100}


# ---------------------------------------------------------------------- designs and points


def test_grid_and_latin_points_cover_their_bounds(tmp_path):
    grid = load_sweep_spec(write_spec(tmp_path, design="grid", samples=3, replicates=1))
    points = grid.points()
    assert points.shape == (9, 2)
    for column, p in enumerate(grid.parameters):
        assert sorted(set(points[:, column])) == pytest.approx([p.low, (p.low + p.high) / 2,
                                                                p.high])
    latin = load_sweep_spec(write_spec(tmp_path, design="latin", samples=10, replicates=1))
    points = latin.points()
    assert points.shape == (10, 2)
    for column, p in enumerate(latin.parameters):
        strata = np.floor((points[:, column] - p.low) / (p.high - p.low) * 10).astype(int)
        assert sorted(strata) == list(range(10))  # one point in each tenth of the range


def test_integer_parameters_are_rounded():
    spec = SweepSpec.from_dict({**VALID, "parameters": [
        {"key": "organisation.n_employees", "low": 40, "high": 60},
        {"key": "organisation.silo_strength", "low": 0.1, "high": 0.9, "integer": True}]})
    points = spec.points()
    assert np.array_equal(points, np.round(points))
    runs = plan(spec)
    assert all(isinstance(r.spec.config.n_employees, int) for r in runs)


def test_points_applied_and_replicates_share_seeds(tmp_path):
    spec = load_sweep_spec(write_spec(tmp_path, samples=3, replicates=2, seed=11))
    runs = plan(spec)
    points = spec.points()
    assert [(r.point, r.replicate, r.spec.seed) for r in runs] == [
        (p, r, 11 + r) for p in range(3) for r in range(2)]
    for run in runs:
        silo, intensity = points[run.point]
        assert run.spec.config.silo_strength == silo
        (training,) = run.spec.intervention_tables
        assert training["type"] == "training" and training["intensity"] == intensity
        assert run.spec.config.n_employees == 40  # the base scenario's own value kept
    assert len({r.spec.content_hash for r in runs}) == len(runs)


# ---------------------------------------------------------------------- backends


def _stored(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "runs").glob("*.parquet"))}


def test_identical_stored_results_on_every_backend(tmp_path):
    spec = load_sweep_spec(write_spec(tmp_path, samples=3, replicates=2))
    one = run_sweep(spec, tmp_path / "one", workers=1, progress=False)
    two = run_sweep(spec, tmp_path / "two", workers=2, progress=False)
    dask = run_sweep(spec, tmp_path / "dask", workers=2, scheduler="local", progress=False)
    assert len(one) == 6 and (one["status"] == "done").all()
    assert _stored(tmp_path / "one") == _stored(tmp_path / "two") == _stored(tmp_path / "dask")
    assert one.equals(two) and one.equals(dask)


def test_kill_and_resume_in_a_subprocess(tmp_path):
    spec_path = write_spec(tmp_path, samples=12, replicates=2)  # 24 runs
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cxsim.interfaces.cli", "sweep", str(spec_path),
               "--out", str(out), "--workers", "1", "--quiet"]
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and driver.poll() is None:
        if len(list((out / "runs").glob("*.parquet"))) >= 5:
            break
        time.sleep(0.05)
    assert driver.poll() is None, driver.stderr.read().decode()
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    before = store_status(out)
    assert 5 <= before.done < 24
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    frame = load_sweep(out)
    hashes = [p.stem for p in (out / "runs").glob("*.parquet")]
    assert len(hashes) == len(set(hashes)) == 24
    assert not list((out / "runs").glob(".*"))  # no temporary files left
    reference = run_sweep(load_sweep_spec(spec_path), tmp_path / "reference", workers=1,
                          progress=False)
    assert sorted(hashes) == sorted(reference["spec_hash"])
    assert frame.equals(reference)
    assert _stored(out) == _stored(tmp_path / "reference")
