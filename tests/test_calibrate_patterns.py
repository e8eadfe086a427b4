"""The pattern fit's search (experiments/calibrate_patterns.py): distances and the
compass search's refinement, on a stand-in distance (the real one takes minutes)."""

from __future__ import annotations

import pytest
from experiment_helpers import load_experiment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def fit():
    return load_experiment("calibrate_patterns")


def bowl(fit, centre: dict[str, float]):
    """A stand-in distance: squared distance to ``centre`` in units of each range."""
    ranges = {path: high - low for path, low, high, _ in fit.FREE}

    def evaluate(values, label):
        total = sum(((values[p] - centre[p]) / ranges[p]) ** 2 for p in ranges)
        return dict(values, distance=total, patterns_passed=0, seconds=0.0)
    return evaluate


def defaults(fit) -> dict[str, float]:
    from cxsim.core.parameters import PARAMETERS
    values = {p.path: p.default for p in PARAMETERS}
    return {path: values[path] for path, *_ in fit.FREE}


def test_check_distance(fit):
    assert fit.check_distance("+15% to +25%", 0.20, True) == 0.0
    assert fit.check_distance("+15% to +25%", 0.10, False) == pytest.approx(0.5)
    assert fit.check_distance("+15% to +25%", 0.35, False) == pytest.approx(1.0)
    assert fit.check_distance("> 90%", 0.80, False) == pytest.approx(0.10 / 0.9)
    assert fit.check_distance("falls monotonically", -1.0, False) == 1.0
    assert fit.check_distance("reported", 1.0, None) == 0.0
    # P11's ratio target is an interval too: the fit sees P11 come closer
    assert fit.target_bounds("2.4x to 4.4x") == (2.4, 4.4)
    assert fit.check_distance("2.4x to 4.4x", 1.4, False) == pytest.approx(0.5)
    assert fit.check_distance("between 1x and both", 0.9, False) == 1.0


def test_refine_walks_to_the_minimum_and_keeps_every_trial(fit):
    start = defaults(fit)
    centre = {path: low + 0.3 * (high - low) for path, low, high, _ in fit.FREE}
    evaluate = bowl(fit, centre)
    first = evaluate(start, "start")["distance"]
    reported = []
    rows = fit.refine(start, first, 200, evaluate, reported.append)
    assert len(rows) == 200 and reported == rows  # each trial reported as it ends
    accepted = [row for row in rows if row["accepted"]]
    assert accepted, "no move accepted"
    # each accepted move lowered the distance, and the end is near the centre
    distances = [first] + [row["distance"] for row in accepted]
    assert all(b < a for a, b in zip(distances, distances[1:]))
    assert distances[-1] < 0.01 * first


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=8, max_size=8), st.integers(1, 40))
def test_refine_stays_in_range_and_budget(fit, where, evaluations):
    """Whatever the optimum (inside or at an edge), trials stay within every free
    parameter's range and their number is the budget."""
    centre = {path: low + w * 1.5 * (high - low) - 0.25 * (high - low)
              for (path, low, high, _), w in zip(fit.FREE, where)}
    start = defaults(fit)
    evaluate = bowl(fit, centre)
    rows = fit.refine(start, evaluate(start, "s")["distance"], evaluations, evaluate)
    assert len(rows) == evaluations
    for row in rows:
        for path, low, high, _ in fit.FREE:
            assert low <= row[path] <= high


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([("--refine", 0), ("--candidates", 0), ("--replicates", 2)]),
       st.integers(-10**9, 10**9))
def test_bad_counts_are_one_line_errors(fit, capsys, option, value):
    """A count below its minimum stops before any run, exit 2, naming the option and
    the value (values at or above the minimum are not run here: they start the fit)."""
    name, minimum = option
    if value >= minimum:
        return
    with pytest.raises(SystemExit) as exit_:
        fit.main([name, str(value)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"{name} = {value} is not allowed" in err and "Traceback" not in err


def _table(fit, tmp_path, rows) -> str:
    path = tmp_path / "fit.csv"
    import pandas as pd
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def test_start_reads_the_best_row_of_an_earlier_table(fit, tmp_path):
    import argparse
    good = defaults(fit)
    better = {**good, "customers.churn_sensitivity": 7.5}
    assert "culture.engaged_threshold" not in good  # a counting threshold is not fitted
    path = _table(fit, tmp_path, [{**good, "distance": 3.0}, {**better, "distance": 2.0}])
    assert fit.read_start(path, argparse.ArgumentParser()) == better


def _start_error(fit, capsys, path) -> str:
    with pytest.raises(SystemExit) as exit_:
        fit.main(["--start", path, "--candidates", "0"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--start" in err
    return err.strip().splitlines()[-1]


def test_a_bad_start_table_is_a_one_line_error(fit, capsys, tmp_path):
    assert "expected a table" in _start_error(fit, capsys, str(tmp_path / "none.csv"))
    partial = {k: v for k, v in defaults(fit).items() if k != "customers.loyalty_rate"}
    err = _start_error(fit, capsys, _table(fit, tmp_path, [{**partial, "distance": 1.0}]))
    assert "missing: customers.loyalty_rate" in err
    text = tmp_path / "text.csv"
    text.write_text("not,a\ntable")
    assert "expected a table" in _start_error(fit, capsys, str(text))
    # a control character in a cell can break the CSV's rows: still one line, exit 2
    broken = _table(fit, tmp_path, [{**defaults(fit), "customers.loyalty_rate": "\r",
                                     "distance": 1.0}])
    assert "is not allowed" in _start_error(fit, capsys, broken)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 100), st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8)))
def test_a_start_value_outside_its_range_names_it(fit, capsys, tmp_path_factory, which,
                                                  value):
    """Whatever a table holds in a free parameter's column, the fit starts only from a
    number in the parameter's range; anything else names the parameter, the value and
    the range. (A control character that breaks the CSV's rows is refused too, as a
    table without a distance: one line, exit 2.)"""
    name, low, high, _ = fit.FREE[which % len(fit.FREE)]
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if number == number and low <= number <= high and abs(number) != float("inf"):
        return
    tmp = tmp_path_factory.mktemp("start")
    err = _start_error(fit, capsys, _table(fit, tmp, [{**defaults(fit), name: value,
                                                       "distance": 1.0}]))
    assert name in err and f"from {low:g} to {high:g}" in err
