"""cxsim calibrate: parameter recovery, unidentified parameters, resumption, bad input.

The recovery data are made by the model itself (``synthetic_observations``) at known
values, from a seed the calibration does not use, with binomial survey noise of realistic
sample sizes. Tolerances: the estimate within RECOVERY_SHARE of the searched range from
the true value, and the true value inside the 90% interval widened by half its width on
each side (about a 98.6% interval under the method's Gaussian posterior): one data set,
one realisation, so the 90% interval itself misses the truth one time in ten.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxsim.core.parameters import ParameterError
from cxsim.experiments.calibration import (
    calibrate,
    fit_parameters,
    setup,
    synthetic_observations,
)
from cxsim.experiments.scenarios import load_scenario
from cxsim.interfaces.cli import main

#: A small organisation: 60 employees, 1500 customers, 30 warm-up days + 120 days.
SMALL = {"organisation.n_employees": 60, "customers.n_customers": 1500,
         "run.burn_in_days": 30, "run.days": 120}
TRUTH = {"customers.satisfaction_offset": 2.0, "service.handoff_need": 0.4}
#: Monthly CSAT (375 answers) and FCR (120 first contacts: about all of them), the churn
#: rate over the 120 days (a record of the whole customer base: no n or se).
DESIGN = pd.DataFrame({"day": [29, 59, 89, 119] * 2 + [119],
                       "metric": ["csat"] * 4 + ["fcr"] * 4 + ["churn_rate"],
                       "n": [375] * 4 + [120] * 4 + [None],
                       "window_days": [30] * 8 + [120]})
FIT = ["customers.satisfaction_offset=-1:4", "service.handoff_need",
       "economics.hiring_cost"]  # the last one: nothing observed depends on it
RECOVERY_SHARE = 0.25


@pytest.fixture(scope="module")
def observations() -> pd.DataFrame:
    return synthetic_observations("baseline", DESIGN, TRUTH, seed=900, overrides=SMALL)


@pytest.fixture(scope="module")
def recovered(observations, tmp_path_factory):
    out = tmp_path_factory.mktemp("fit") / "out"
    return calibrate("baseline", observations, FIT, out=out, budget=132, replicates=2, seed=1,
                     overrides=SMALL, workers=2)


def test_two_parameters_are_recovered_within_tolerance(recovered):
    table = recovered.parameters
    for key, true in TRUTH.items():
        row = table.loc[key]
        width = row.prior_high - row.prior_low
        margin = (row.high - row.low) / 2
        assert row.low - margin <= true <= row.high + margin, (key, row.to_dict())
        assert abs(row.estimate - true) <= RECOVERY_SHARE * width, (key, row.to_dict())
        assert row.identified, (key, row.to_dict())


def test_a_parameter_the_data_ignore_is_reported_unidentified(recovered):
    row = recovered.parameters.loc["economics.hiring_cost"]
    assert not row.identified
    assert row.high - row.low > 0.5 * (row.prior_high - row.prior_low)


def test_the_outputs_are_a_runnable_scenario_and_a_fit_report(recovered, capsys):
    out = recovered.out
    fit = json.loads((out / "fit.json").read_text())
    for key, entry in fit["parameters"].items():
        assert set(entry) >= {"estimate", "low", "high", "identified"}
        assert entry["low"] <= entry["estimate"] <= entry["high"]
        assert entry["estimate"] == pytest.approx(recovered.estimates[key])
    assert fit["quality"]["observations"] == 9
    scenario = load_scenario(out / "fitted.toml")
    flat = scenario.config.to_flat()
    assert flat["satisfaction_offset"] == pytest.approx(recovered.estimates[
        "customers.satisfaction_offset"])
    assert flat["n_employees"] == 60 and flat["days"] == 120
    assert main(["run", str(out / "fitted.toml"), "--seed", "3", "--days", "5"]) == 0
    assert "(calibrated)" in capsys.readouterr().out
    frame = pd.read_csv(out / "observed_vs_simulated.csv")
    assert len(frame) == 9 and (frame["band_low"] <= frame["band_high"]).all()


def test_a_rerun_in_the_same_directory_runs_nothing_and_gives_the_same_answer(
        recovered, observations):
    runs = sorted(p.name for p in recovered.out.glob("waves/*/runs/*.parquet"))
    before = (recovered.out / "fit.json").read_bytes()
    again = calibrate("baseline", observations, FIT, out=recovered.out, budget=132,
                      replicates=2, seed=1, overrides=SMALL, workers=1)
    assert sorted(p.name for p in again.out.glob("waves/*/runs/*.parquet")) == runs
    assert (recovered.out / "fit.json").read_bytes() == before


def test_another_calibration_in_the_same_directory_is_refused(recovered, observations):
    with pytest.raises(ParameterError, match="another calibration"):
        calibrate("baseline", observations, FIT, out=recovered.out, budget=132,
                  replicates=2, seed=2, overrides=SMALL)


# --------------------------------------------------------------------------- resumption

TINY = ["--employees", "40", "--customers", "500", "--set", "run.burn_in_days=20",
        "--days", "40"]


def _cli(tmp_path: Path, out: Path, workers: int) -> list[str]:
    csv = tmp_path / "obs.csv"
    if not csv.exists():
        csv.write_text("day,metric,value,n\n19,csat,0.8,150\n39,csat,0.78,150\n")
    return [sys.executable, "-m", "cxsim.interfaces.cli", "calibrate", "baseline", str(csv),
            "--fit", "customers.satisfaction_offset=-1:4", "--budget", "52", "--seed", "5",
            "--workers", str(workers), "--out", str(out), "--quiet", *TINY]


def test_a_calibration_killed_mid_way_and_resumed_equals_an_uninterrupted_one(tmp_path):
    whole = tmp_path / "whole"
    done = subprocess.run(_cli(tmp_path, whole, 2), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr
    killed = tmp_path / "killed"
    process = subprocess.Popen(_cli(tmp_path, killed, 1), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 600
    while time.time() < deadline and len(list(killed.glob("waves/*/runs/*.parquet"))) < 12:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    stored = len(list(killed.glob("waves/*/runs/*.parquet")))
    assert 12 <= stored < 52 and not (killed / "fit.json").exists()
    resumed = subprocess.run(_cli(tmp_path, killed, 1), capture_output=True, text=True,
                             timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    assert (killed / "fit.json").read_bytes() == (whole / "fit.json").read_bytes()
    assert (killed / "fitted.toml").read_bytes() == (whole / "fitted.toml").read_bytes()


# --------------------------------------------------------------------------- bad input


def _errors(argv: list[str], capsys) -> list[str]:
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and all(line.startswith("cxsim: error: ") for line in lines)
    return lines


def test_bad_observations_are_refused_before_any_run(tmp_path, capsys):
    csv = tmp_path / "obs.csv"
    csv.write_text("day,metric,department,value,n\n29,csatt,,0.8,100\n29,csat,billing,0.8,"
                   "100\n900,csat,,0.8,100\n")
    out = tmp_path / "out"
    lines = _errors(["calibrate", "baseline", str(csv), "--out", str(out), *TINY], capsys)
    assert len(lines) == 3
    assert "row 1, column metric" in lines[0] and "row 2, column department" in lines[1]
    assert "row 3, column day" in lines[2]
    assert not out.exists()


@pytest.mark.parametrize("fit, message", [
    ("organisation.n_employees", "cannot be fitted"),
    ("run.days", "cannot be fitted"),
    ("culture.leadership_comitment", "did you mean"),
    ("culture.leadership_commitment=0.5:0.2", "expected low < high"),
    ("culture.leadership_commitment=0:2", "accepts 0 to 1"),
])
def test_parameters_that_cannot_be_fitted_are_refused(tmp_path, capsys, fit, message):
    csv = tmp_path / "obs.csv"
    csv.write_text("day,metric,value,n\n19,csat,0.8,150\n")
    lines = _errors(["calibrate", "baseline", str(csv), "--fit", fit, "--out",
                     str(tmp_path / "out"), *TINY], capsys)
    assert len(lines) == 1 and message in lines[0] and "--fit[1]" in lines[0]


def test_a_budget_too_small_names_the_smallest(tmp_path, capsys):
    csv = tmp_path / "obs.csv"
    csv.write_text("day,metric,value,n\n19,csat,0.8,150\n")
    lines = _errors(["calibrate", "baseline", str(csv), "--budget", "20", "--out",
                     str(tmp_path / "out"), *TINY], capsys)
    assert "--budget = 20 is not allowed" in lines[0] and "at least 21 runs" in lines[0]


def test_the_default_fit_follows_the_observed_metrics():
    scenario = load_scenario("baseline")
    table = pd.DataFrame({"day": [29, 29, 29], "metric": ["csat", "engagement_share", "nps"],
                          "value": [0.8, 0.3, 20], "n": [100, 100, 100]})
    plan = setup(scenario, table, overrides={"run.days": 60})
    assert plan.keys == ["customers.satisfaction_offset", "culture.leadership_commitment"]
    with pytest.raises(ParameterError, match="no default parameter"):
        setup(scenario, table.assign(metric="revenue", se=10.0), overrides={"run.days": 60})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(st.one_of(st.text(max_size=30), st.sampled_from([
    "culture.leadership_commitment", "customers.satisfaction_offset=0:1", "run.days",
    "economics.hiring_cost=1:", "culture.leadership_commitment=nan:1"])), max_size=3),
       budget=st.one_of(st.integers(-5, 500), st.sampled_from([True, 1.5, "10"])))
def test_any_fit_and_budget_is_accepted_or_refused_with_one_line_errors(items, budget):
    scenario = load_scenario("baseline")
    table = pd.DataFrame({"day": [29], "metric": ["csat"], "value": [0.8], "n": [100]})
    try:
        plan = setup(scenario, table, items or None, budget=budget,
                     overrides={"run.days": 60})
    except ParameterError as error:
        assert error.errors and all("\n" not in line for line in error.errors)
        return
    assert plan.keys and plan.budget == budget
    assert [p.key for p in fit_parameters(items or None, plan.observations)] == plan.keys


def test_a_scenario_given_as_an_object_is_written_out_whole(tmp_path):
    from cxsim.experiments.calibration import CalibrationResult, fitted_scenario_text

    scenario = load_scenario("training")
    table = pd.DataFrame({"day": [29], "metric": ["engagement_share"], "value": [0.3],
                          "n": [100]})
    plan = setup(scenario, table, ["culture.leadership_commitment"], budget=52,
                 overrides={"run.days": 60})
    parameters = pd.DataFrame([{"key": "culture.leadership_commitment", "estimate": 0.45,
                                "low": 0.4, "high": 0.5, "identified": True}]).set_index("key")
    result = CalibrationResult(parameters, pd.DataFrame(), pd.DataFrame(), {}, tmp_path, plan)
    (tmp_path / "fitted.toml").write_text(fitted_scenario_text(result))
    loaded = load_scenario(tmp_path / "fitted.toml")
    expected = plan.config.with_overrides({"culture.leadership_commitment": 0.45})
    assert loaded.config.to_flat() == expected.to_flat()
    assert [iv.to_dict() for iv in loaded.interventions] == [
        iv.to_dict() for iv in scenario.interventions]
    assert loaded.structure.to_dict() == scenario.structure.to_dict()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(["--budget", "--replicates", "--seed", "--workers",
                               "--start-date", "--days", "--employees"]),
       text=st.one_of(st.text(max_size=12), st.sampled_from(["0", "1", "-3", "2", "1e3",
                                                             "999999999999", "2026-01-01"])))
def test_any_option_value_gives_a_one_line_error_before_any_run(tmp_path, capsys, option,
                                                                  text):
    csv = tmp_path / "obs.csv"
    csv.write_text("day,metric,value,n\n19,csatt,0.8,150\n")  # always refused
    out = tmp_path / "fuzz-out"
    code = main(["calibrate", "baseline", str(csv), "--out", str(out), *TINY,
                 f"{option}={text}"])
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and all(line.startswith("cxsim: error: ") for line in lines)
    assert not (out / "waves").exists()
