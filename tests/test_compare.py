"""Comparisons: worker-count independence, exact zeros for an identical scenario, the
warm-up fork against runs from scratch, interval coverage, economics by hand, output
files, and the command line's bad input."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxsim.core.parameters import ParameterError
from cxsim.experiments import comparisons
from cxsim.experiments.comparisons import (
    COMPARED_METRICS,
    ECONOMICS,
    compare,
    economics,
    payback_day,
    t_interval,
)
from cxsim.experiments.output import write_atomically, write_files_atomically
from cxsim.experiments.scenarios import Scenario, load_scenario
from cxsim.experiments.specs import RunSpec, run_spec
from cxsim.interfaces.cli import main

LIBRARY = Path(__file__).resolve().parent.parent / "experiments" / "scenarios"
#: (without the routine training, so the training programme's completion stands alone)
TINY = {"organisation.n_employees": 60, "customers.n_customers": 800,
        "run.burn_in_days": 10, "run.days": 40, "training.routine_training_hours": 0.0}
TINY_ARGS = ["--employees", "60", "--customers", "800", "--days", "40",
             "--set", "run.burn_in_days=10"]


def _scenarios():
    baseline = load_scenario(LIBRARY / "baseline.toml")
    training = load_scenario(LIBRARY / "training.toml")
    # parameters differ from the baseline's: run from scratch, not forked
    siloed = Scenario(name="More silos", config=baseline.config.with_overrides(
        {"organisation.silo_strength": 0.9}))
    return baseline, [training, baseline, siloed]


@pytest.fixture(scope="module")
def one_worker():
    baseline, scenarios = _scenarios()
    return compare(baseline, scenarios, replicates=3, workers=1, seed=11, overrides=TINY)


@pytest.fixture(scope="module")
def two_workers():
    baseline, scenarios = _scenarios()
    return compare(baseline, scenarios, replicates=3, workers=2, seed=11, overrides=TINY)


def test_output_is_identical_for_one_and_two_workers(one_worker, two_workers):
    for name in ("runs", "summary", "economics", "economics_runs", "daily", "departments",
                 "touchpoints", "economics_daily"):
        pd.testing.assert_frame_equal(getattr(one_worker, name), getattr(two_workers, name))
    assert [s["spec"] for s in one_worker.specs] == [s["spec"] for s in two_workers.specs]


def test_frames_are_tidy(one_worker):
    labels = ["Baseline", "Regular CX training", "Baseline (2)", "More silos"]
    assert one_worker.baseline == "Baseline" and one_worker.scenarios == labels[1:]
    assert one_worker.seeds == [11, 12, 13]
    runs = one_worker.runs
    assert len(runs) == len(labels) * 3 * len(COMPARED_METRICS)
    assert not runs.duplicated(["scenario", "replicate", "metric"]).any()
    assert set(runs["seed"]) == {11, 12, 13}
    summary = one_worker.summary
    assert len(summary) == len(labels) * len(COMPARED_METRICS)
    assert summary.loc[summary["scenario"] == "Baseline", "difference"].isna().all()
    econ = one_worker.economics
    assert len(econ) == 3 * len(ECONOMICS) and "Baseline" not in set(econ["scenario"])
    # a summary row is the mean of its replicates
    row = summary[(summary["scenario"] == "More silos") & (summary["metric"] == "csat")]
    values = runs[(runs["scenario"] == "More silos") & (runs["metric"] == "csat")]["value"]
    assert row["mean"].item() == pytest.approx(values.mean())


def test_a_scenario_identical_to_the_baseline_differs_by_exactly_zero(one_worker):
    same = one_worker.summary[one_worker.summary["scenario"] == "Baseline (2)"]
    assert (same[["difference", "difference_ci_low", "difference_ci_high"]].dropna() == 0.0
            ).all().all()
    assert same["difference"].notna().sum() >= len(COMPARED_METRICS) - 2
    assert not same["significant"].any()
    econ = one_worker.economics.set_index(["scenario", "quantity"]).loc["Baseline (2)"]
    for quantity in ("intervention_cost", "revenue_difference", "staff_cost_difference",
                     "hiring_cost_difference", "profit_difference", "npv"):
        assert econ.loc[quantity, "mean"] == 0.0, quantity
    assert econ.loc["roi", "defined_share"] == 0.0  # no cost: no ROI


def test_forked_and_from_scratch_runs_equal_their_specs_run_alone(one_worker):
    """Every run can be reproduced from its spec: forked runs (sharing the warm-up) and
    runs from scratch (parameters differ) alike, bit for bit."""
    forked = {s["scenario"]: s["forked"] for s in one_worker.specs}
    assert forked == {"Baseline": True, "Regular CX training": True, "Baseline (2)": True,
                      "More silos": False}
    runs = one_worker.runs.set_index(["scenario", "replicate", "metric"])["value"]
    for entry in one_worker.specs:
        if entry["replicate"] != 1:
            continue
        alone = run_spec(entry["spec"]).summary()
        for metric in COMPARED_METRICS:
            stored = runs.loc[(entry["scenario"], 1, metric)]
            assert (stored == alone[metric]) or (math.isnan(stored) and math.isnan(
                alone[metric])), (entry["scenario"], metric)


def test_training_shows_its_cost_and_training_completion(one_worker):
    econ = one_worker.economics.set_index(["scenario", "quantity"])
    assert econ.loc[("Regular CX training", "intervention_cost"), "mean"] > 0
    summary = one_worker.summary.set_index(["scenario", "metric"])
    trained = summary.loc[("Regular CX training", "training_completion")]
    assert trained["significant"] and trained["difference"] > 0.2


def test_save_writes_every_file_atomically(one_worker, tmp_path):
    out = one_worker.save(tmp_path / "nested" / "cmp")
    assert sorted(p.name for p in out.iterdir()) == sorted(one_worker.files())
    assert [p.name for p in out.parent.iterdir()] == ["cmp"]  # no temporary left over
    meta = json.loads((out / "comparison.json").read_text(), parse_constant=_no_constants)
    assert meta["seeds"] == [11, 12, 13] and meta["discount_rate"] == 0.08
    specs = json.loads((out / "specs.json").read_text())
    assert len(specs) == 4 * 3
    for entry in specs:
        assert RunSpec.from_dict(entry["spec"]).content_hash == entry["hash"]
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == len(one_worker.summary)
    # an earlier output is replaced whole
    again = one_worker.save(out)
    assert sorted(p.name for p in again.iterdir()) == sorted(one_worker.files())


def _no_constants(name):
    raise AssertionError(f"bare {name} in JSON")


def test_atomic_writers_never_delete_or_half_write_other_files(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(ParameterError, match="not empty"):
        write_atomically(mine, lambda d: (d / "a.csv").write_text("1"))

    def fail(directory):
        (directory / "summary.json").write_text("{")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_files_atomically(mine, fail)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    write_files_atomically(mine, lambda d: (d / "summary.json").write_text("{}"))
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt", "summary.json"]
    assert (mine / "notes.txt").read_text() == "keep"


def test_labels_are_made_unique():
    assert comparisons.unique_labels(["a", "a (2)", "a", "b", "a"]) == [
        "a", "a (2)", "a (3)", "b", "a (4)"]


def test_an_interrupted_save_leaves_nothing(tmp_path):
    def fail(directory):
        (directory / "half.csv").write_text("a,b\n")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(tmp_path / "out", fail)
    assert list(tmp_path.iterdir()) == []


# --- statistics ----------------------------------------------------------------------------


def test_t_interval_edge_cases():
    assert t_interval([]) [3] == 0
    mean, low, high, n = t_interval([2.0])
    assert mean == 2.0 and math.isnan(low) and math.isnan(high) and n == 1
    assert t_interval([1.5, 1.5, 1.5]) == (1.5, 1.5, 1.5, 3)
    mean, low, high, n = t_interval([1.0, 2.0, 3.0, float("nan")])
    assert n == 3 and mean == 2.0
    assert high - mean == pytest.approx(4.302652729911275 * 1.0 / math.sqrt(3))  # t(0.975, 2)


@pytest.mark.parametrize("n", [3, 10, 30])
def test_paired_intervals_cover_a_known_effect_at_the_nominal_rate(n):
    """Synthetic check: pairs sharing a random seed effect (as common random numbers do),
    a known mean difference of 0.3; the 95% interval of the paired difference must cover
    it in 95% of 4,000 repetitions (tolerance: 3 binomial standard errors)."""
    rng = np.random.default_rng(2024 + n)
    repetitions, effect, covered = 4000, 0.3, 0
    for _ in range(repetitions):
        seed_effect = rng.normal(0.0, 2.0, n)
        baseline = 10.0 + seed_effect + rng.normal(0.0, 0.5, n)
        scenario = 10.0 + effect + seed_effect + rng.normal(0.0, 0.5, n)
        _, low, high, _ = t_interval(scenario - baseline)
        covered += low <= effect <= high
    tolerance = 3 * math.sqrt(0.95 * 0.05 / repetitions)
    assert abs(covered / repetitions - 0.95) < tolerance


# --- economics -----------------------------------------------------------------------------


def _daily(revenue, headcount, hiring, cost, warm_up=2):
    days = len(revenue)
    return pd.DataFrame({
        "intervention_day": list(range(-warm_up - 1, 0)) + list(range(days)),
        "revenue": [999.0] * (warm_up + 1) + list(revenue),
        "headcount": [50] * (warm_up + 1) + list(headcount),
        "hiring_cost": [7.0] * (warm_up + 1) + list(hiring),
        "intervention_cost": [0.0] * (warm_up + 1) + list(cost),
    })


def test_economics_on_a_hand_made_daily_frame():
    baseline = _daily(revenue=[100, 100, 100, 100], headcount=[10, 10, 10, 10],
                      hiring=[0, 0, 0, 0], cost=[0, 0, 0, 0])
    scenario = _daily(revenue=[100, 130, 150, 160], headcount=[10, 11, 11, 10],
                      hiring=[0, 20, 0, 0], cost=[200, 0, 0, 0])
    # salary 365 a year: 1 per head per day
    econ = economics(baseline, scenario, baseline_salary=365.0, scenario_salary=365.0,
                     discount_rate=0.1)
    assert econ["revenue_difference"] == 140.0
    assert econ["staff_cost_difference"] == pytest.approx(2.0)
    assert econ["hiring_cost_difference"] == 20.0
    assert econ["intervention_cost"] == 200.0
    # daily profit differences: -200, 30 - 1 - 20 = 9, 50 - 1 = 49, 60
    assert econ["profit_difference"] == pytest.approx(-82.0)
    assert econ["roi"] == pytest.approx(-82.0 / 200.0)
    assert econ["payback_day"] is None
    flows = np.array([-200.0, 9.0, 49.0, 60.0])
    assert econ["npv"] == pytest.approx((flows * 1.1 ** (-np.arange(4) / 365)).sum())
    cheaper = _daily(revenue=[100, 130, 150, 160], headcount=[10, 11, 11, 10],
                     hiring=[0, 20, 0, 0], cost=[100, 0, 0, 0])
    econ = economics(baseline, cheaper, baseline_salary=365.0, scenario_salary=365.0)
    assert econ["profit_difference"] == pytest.approx(18.0)
    assert econ["payback_day"] == 3  # cumulative: -100, -91, -42, +18


def test_economics_refuses_different_horizons():
    with pytest.raises(ParameterError, match="different intervention days"):
        economics(_daily([1, 2], [1, 1], [0, 0], [0, 0]), _daily([1], [1], [0], [0]),
                  baseline_salary=1.0, scenario_salary=1.0)


@pytest.mark.parametrize("flows, expected", [
    ([5, -1, 3], 0),         # never below zero: pays back from the first day
    ([-5, 2, 4], 2),         # cumulative -5, -3, +1
    ([-5, 6, -2, 3], 3),     # +1 on day 1 but dips again on day 2
    ([-5, 1], None),         # never recovers
    ([], None),
])
def test_payback_day(flows, expected):
    assert payback_day(np.array(flows, dtype=float), np.arange(len(flows))) == expected


# --- bad input -----------------------------------------------------------------------------


def test_compare_refuses_bad_input_before_running(monkeypatch):
    monkeypatch.setattr(comparisons, "run_seed_task", _refuse)
    baseline, scenarios = _scenarios()
    cases = [
        (dict(replicates=0), "replicates = 0"),
        (dict(replicates="3"), "replicates = '3'"),
        (dict(replicates=2, workers=0), "workers = 0"),
        (dict(replicates=2, seed=-1), "seed = -1"),
        (dict(replicates=2, discount_rate=float("nan")), "discount_rate = nan"),
        (dict(replicates=2, overrides={"run.days": 0}), "run.days = 0"),
    ]
    for kwargs, needle in cases:
        with pytest.raises(ParameterError) as info:
            compare(baseline, scenarios, **kwargs)
        assert needle in str(info.value), kwargs
    with pytest.raises(ParameterError, match=r"scenarios\[0\] = 'training.toml'"):
        compare(baseline, ["training.toml"], replicates=2)
    longer = Scenario(name="Longer", config=baseline.config.with_overrides({"run.days": 400}))
    with pytest.raises(ParameterError, match="Longer: run.days = 400 is not allowed"):
        compare(baseline, [longer], replicates=2)


def _refuse(*args, **kwargs):
    raise AssertionError("a run started although the input was bad")


def _cli(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


BASE = [str(LIBRARY / "baseline.toml"), str(LIBRARY / "training.toml")]


@pytest.mark.parametrize("extra, needles", [
    (["--replicates", "0"], ["--replicates = 0", "1 to 100000"]),
    (["--replicates", "x"], ["--replicates = x"]),
    (["--replicates", "2", "--workers", "0"], ["--workers = 0"]),
    (["--replicates", "2", "--seed", "-3"], ["--seed = -3"]),
    (["--replicates", "2", "--discount-rate", "2"], ["--discount-rate = 2"]),
    (["--replicates", "2", "--discount-rate", "abc"], ["--discount-rate = abc"]),
    (["--replicates", "2", "--days", "-5"], ["--days (run.days) = -5"]),
    (["--replicates", "2", "--set", "nope=1"], ["nope"]),
])
def test_cli_compare_bad_input_exits_2_before_any_run(monkeypatch, extra, needles):
    monkeypatch.setattr(comparisons, "compare", _refuse)
    code, out, err = _cli(["compare", *BASE, *TINY_ARGS, *extra])
    assert code == 2 and "Traceback" not in err
    assert err.startswith("cxsim: error:") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


@pytest.mark.parametrize("where", ["file", "below_file", "full_directory", "unwritable"])
def test_cli_compare_checks_out_before_any_run(monkeypatch, tmp_path, where):
    monkeypatch.setattr(comparisons, "compare", _refuse)
    taken = tmp_path / "taken"
    if where == "unwritable":
        if os.geteuid() == 0:  # root writes through permission bits: use a read-only place
            target = Path("/proc/cxsim-compare-out")
        else:
            taken.mkdir()
            taken.chmod(0o500)
            target = taken / "out"
    elif where == "full_directory":
        taken.mkdir()
        (taken / "notes.txt").write_text("mine")
        target = taken
    else:
        taken.write_text("x")
        target = taken if where == "file" else taken / "sub" / "out"
    code, _, err = _cli(["compare", *BASE, *TINY_ARGS, "--replicates", "2",
                         "--out", str(target)])
    assert code == 2 and "--out" in err and err.count("\n") == 1, err


def test_cli_compare_prints_the_table_and_writes_out(tmp_path):
    out = tmp_path / "cmp"
    code, stdout, err = _cli(["compare", *BASE, *TINY_ARGS, "--replicates", "2",
                              "--workers", "1", "--seed", "4", "--out", str(out), "--quiet"])
    assert code == 0, err
    assert err == ""  # --quiet: no progress bar
    assert "seeds 4..5" in stdout and "Regular CX training" in stdout
    assert " pp [" in stdout and " pts [" in stdout and "difference" in stdout
    assert "Economics against 'Baseline'" in stdout and "NPV at 8.0% a year" in stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["summary.csv", "runs.csv", "economics.csv", "economics_runs.csv",
         "comparison.json", "specs.json", "daily.parquet", "departments.parquet",
         "touchpoints.parquet", "economics_daily.parquet"])
    loaded = comparisons.ComparisonResult.load(out)
    assert loaded.seeds == [4, 5] and loaded.intervention_day == 0


_TOKENS = st.sampled_from(["--replicates", "--workers", "--seed", "--days", "--employees",
                           "--customers", "--set", "--discount-rate", "--out", "--quiet",
                           "0", "-1", "2", "1e3", "abc", "", "x=1", "run.days=3", "0.08",
                           "nope", "--", "/dev/null", *BASE])


@given(tokens=st.lists(st.one_of(_TOKENS, st.text(max_size=6)), max_size=8))
def test_fuzzed_compare_arguments_never_give_a_traceback(tokens, fake_compare):
    code, _, err = _cli(["compare", *tokens])
    assert code in (0, 2), (tokens, err)
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def fake_compare(one_worker, tmp_path_factory):
    """``cxsim compare`` with a stored result in place of the runs (the fuzzer checks the
    argument handling), in a scratch working directory."""
    patch = pytest.MonkeyPatch()
    patch.setattr(comparisons, "compare", lambda *args, **kwargs: one_worker)
    patch.chdir(tmp_path_factory.mktemp("fuzz_compare"))
    yield
    patch.undo()


# --- series ---------------------------------------------------------------------------------


def _assert_same_comparison(a, b):
    for name in ("runs", "summary", "economics", "economics_runs", "daily", "departments",
                 "touchpoints", "economics_daily"):
        if getattr(a, name) is None:
            assert getattr(b, name) is None, name
        else:
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    for name in ("baseline", "scenarios", "seeds", "config", "discount_rate", "level",
                 "intervention_day", "specs"):
        assert getattr(a, name) == getattr(b, name), name


def test_a_saved_comparison_loads_back_equal(one_worker, tmp_path):
    loaded = comparisons.ComparisonResult.load(one_worker.save(tmp_path / "cmp"))
    _assert_same_comparison(one_worker, loaded)
    assert loaded.elapsed_seconds == pytest.approx(one_worker.elapsed_seconds)
    assert loaded.has_series


def test_series_have_one_row_per_run_and_day(one_worker):
    labels = [one_worker.baseline, *one_worker.scenarios]
    days = TINY["run.burn_in_days"] + TINY["run.days"]
    daily = one_worker.daily
    assert list(daily.columns[:4]) == ["scenario", "replicate", "seed", "day"]
    from cxsim.engine.metrics import DAILY_METRICS

    assert list(daily.columns[4:]) == [m for m in DAILY_METRICS
                                       if m not in ("day", "intervention_day")]
    assert len(daily) == len(labels) * 3 * days
    counts = daily.groupby(["scenario", "replicate"]).size()
    assert (counts == days).all() and set(counts.index.get_level_values(0)) == set(labels)
    assert daily["day"].min() == -TINY["run.burn_in_days"]
    assert daily["day"].max() == TINY["run.days"] - 1
    assert (daily["seed"] == 11 + daily["replicate"]).all()
    n_departments = len(Scenario(name="default").structure.departments)
    assert len(one_worker.departments) == len(daily) * n_departments
    assert list(one_worker.departments.columns[:5]) == ["scenario", "replicate", "seed",
                                                         "day", "department"]
    assert list(one_worker.touchpoints.columns[:6]) == ["scenario", "replicate", "seed",
                                                         "day", "touchpoint", "owner"]
    econ = one_worker.economics_daily
    assert list(econ.columns) == ["scenario", "replicate", "day", "cost", "revenue_gain",
                                  "profit"]
    assert set(econ["scenario"]) == set(one_worker.scenarios)
    assert len(econ) == len(one_worker.scenarios) * 3 * TINY["run.days"]
    assert one_worker.intervention_day == 0  # training starts on the first day


def test_series_agree_with_the_summary_of_every_run(one_worker):
    """The daily rows of the final window give each run's summary values back; the
    cumulative economics end on each replicate's totals."""
    runs = one_worker.runs.set_index(["scenario", "replicate", "metric"])["value"]
    window = one_worker.config.summary_window_days
    for (label, replicate), rows in one_worker.daily.groupby(["scenario", "replicate"]):
        period = rows[rows["day"] >= 0]
        final = period.iloc[-window:]
        assert final["engagement_share"].mean() == pytest.approx(
            runs[(label, replicate, "engagement_share")], rel=1e-12)
        assert final["burnout_share"].mean() == pytest.approx(
            runs[(label, replicate, "burnout_share")], rel=1e-12, abs=1e-15)
        assert final["csat_top2"].sum() / final["responses"].sum() == pytest.approx(
            runs[(label, replicate, "csat")], rel=1e-12)
        assert period["revenue"].sum() == pytest.approx(runs[(label, replicate, "revenue")],
                                                        rel=1e-12)
    totals = one_worker.economics_runs.set_index(["scenario", "replicate", "quantity"])["value"]
    last = one_worker.economics_daily.groupby(["scenario", "replicate"]).tail(1)
    for row in last.itertuples():
        key = (row.scenario, row.replicate)
        assert row.day == TINY["run.days"] - 1
        assert row.profit == pytest.approx(totals[(*key, "profit_difference")], rel=1e-9,
                                           abs=1e-6)
        assert row.cost == pytest.approx(totals[(*key, "intervention_cost")], rel=1e-9,
                                         abs=1e-9)
        assert row.revenue_gain == pytest.approx(totals[(*key, "revenue_difference")],
                                                 rel=1e-9, abs=1e-6)
    # the department series is the serving departments' own frame, as float32
    departments = one_worker.departments
    assert departments["engagement_share"].dtype == np.float32
    base = departments[(departments["scenario"] == "Baseline")
                       & (departments["replicate"] == 0)]
    alone = run_spec(one_worker.specs[0]["spec"]).departments
    alone = alone[alone["day"] >= 0]
    np.testing.assert_array_equal(base["engagement_share"].to_numpy(),
                                  alone["engagement_share"].to_numpy(dtype=np.float32))


def test_an_identical_scenario_has_identical_series_and_zero_economics(one_worker):
    daily = one_worker.daily
    a = daily[daily["scenario"] == "Baseline"].drop(columns="scenario").reset_index(drop=True)
    b = daily[daily["scenario"] == "Baseline (2)"].drop(columns="scenario").reset_index(
        drop=True)
    pd.testing.assert_frame_equal(a, b)
    same = one_worker.economics_daily.query("scenario == 'Baseline (2)'")
    assert (same[["cost", "revenue_gain", "profit"]] == 0).all().all()


def test_without_series_nothing_is_kept_or_written(tmp_path):
    baseline, scenarios = _scenarios()
    result = compare(baseline, scenarios[:1], replicates=1, workers=1, seed=2,
                     overrides=TINY, series=False)
    for name in ("daily", "departments", "touchpoints", "economics_daily"):
        assert getattr(result, name) is None
    assert not result.has_series and result.intervention_day == 0
    out = result.save(tmp_path / "cmp")
    assert sorted(p.name for p in out.iterdir()) == sorted(result.files())
    assert not list(out.glob("*.parquet"))
    _assert_same_comparison(result, comparisons.ComparisonResult.load(out))
    assert all(s["spec"].record == () for s in result.specs)


def test_no_intervention_means_no_intervention_day():
    baseline, _ = _scenarios()
    result = compare(baseline, [baseline], replicates=1, workers=1, seed=2, overrides=TINY)
    assert result.intervention_day is None


@pytest.mark.parametrize("series", [None, 1, "yes", 0.0])
def test_compare_refuses_a_series_flag_that_is_not_a_boolean(series):
    baseline, scenarios = _scenarios()
    with pytest.raises(ParameterError, match="series"):
        compare(baseline, scenarios[:1], replicates=1, workers=1, seed=2, overrides=TINY,
                series=series)


@pytest.fixture(scope="module")
def saved(one_worker, tmp_path_factory):
    return one_worker.save(tmp_path_factory.mktemp("saved") / "cmp")


def test_load_refuses_what_is_not_a_comparison(tmp_path, saved):
    with pytest.raises(ParameterError, match="no comparison.json"):
        comparisons.ComparisonResult.load(tmp_path / "absent")
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(saved, broken)
    (broken / "runs.csv").unlink()
    with pytest.raises(ParameterError, match="cannot be read") as error:
        comparisons.ComparisonResult.load(broken)
    assert str(error.value).count("\n") == 0


@given(name=st.sampled_from(["comparison.json", "specs.json", "runs.csv", "daily.parquet"]),
       content=st.binary(max_size=64))
def test_fuzzed_saved_files_give_a_one_line_error(saved, tmp_path_factory, name, content):
    """Any garbled file of a saved comparison is refused with one line (or, for harmless
    garbage that still parses, loads)."""
    import shutil

    copy = tmp_path_factory.mktemp("fuzz_load") / "cmp"
    shutil.copytree(saved, copy)
    (copy / name).write_bytes(content)
    try:
        comparisons.ComparisonResult.load(copy)
    except ParameterError as error:
        assert "\n" not in str(error) and "comparison directory" in str(error)


def test_an_output_saved_before_the_series_existed_still_loads(saved, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(saved, old)
    for path in old.glob("*.parquet"):
        path.unlink()
    meta = json.loads((old / "comparison.json").read_text())
    del meta["intervention_day"], meta["elapsed_seconds"]
    (old / "comparison.json").write_text(json.dumps(meta))
    loaded = comparisons.ComparisonResult.load(old)
    assert not loaded.has_series and loaded.daily is None
    assert loaded.intervention_day == 0  # from the specs: training starts on day 0
    pd.testing.assert_frame_equal(loaded.summary, comparisons.ComparisonResult.load(
        saved).summary)
