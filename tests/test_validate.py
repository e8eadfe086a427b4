"""cxsim validate: the pattern declarations, the statistics each pattern is judged by
(on synthetic replicates), an end-to-end run on a tiny organisation, the output files,
and bad input (one line, exit 2), fuzzed."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cxsim.core.parameters import ParameterError
from cxsim.experiments import patterns
from cxsim.experiments.patterns import (
    BASELINE,
    PATTERN_IDS,
    PATTERNS,
    QUARTER_DAYS,
    REST_METRICS,
    SILO_RUNGS,
    Measurements,
    Mode,
    check_pattern_ids,
    drift_values,
    needed_scenarios,
    rest_checks,
    validate,
    write_report,
)
from cxsim.experiments.scenarios import library, load_scenario
from cxsim.interfaces.cli import main

#: A tiny organisation and a short horizon (the drift needs two 90-day quarters).
TINY = Mode("quick", n_employees=60, n_customers=1500, window_days=30, replicates=2,
            extra=(("run.burn_in_days", 20), ("run.days", 190)))


# ---------------------------------------------------------------- declarations


def test_the_fourteen_patterns_are_declared_once_with_their_scenarios():
    assert PATTERN_IDS == tuple(f"P{i}" for i in range(1, 15))
    names = library()
    for pattern in PATTERNS:
        for text in (pattern.claim, pattern.source, pattern.target, pattern.metric,
                     pattern.test, pattern.mechanism):
            assert text.strip(), pattern.id
        for scenario in pattern.scenarios:
            assert scenario in names, (pattern.id, scenario)
    assert needed_scenarios(PATTERNS)[0] == BASELINE
    assert len(set(needed_scenarios(PATTERNS))) == len(needed_scenarios(PATTERNS))


def test_silo_rungs_rise_in_silo_strength():
    levels = [load_scenario(rung).config.silo_strength for rung in SILO_RUNGS]
    assert len(levels) >= 5 and levels == sorted(levels) and len(set(levels)) == len(levels)


def test_pattern_ids_are_case_insensitive_and_kept_in_table_order():
    assert check_pattern_ids("p5, P3") == ("P3", "P5")
    assert check_pattern_ids(["P14", "P1"]) == ("P1", "P14")
    assert check_pattern_ids(None) == PATTERN_IDS


# ---------------------------------------------------------------- statistics


def synthetic(values: dict[str, dict[str, list[float]]], scenarios=None) -> Measurements:
    """Measurements from per-replicate values {scenario: {metric: [...]}}."""
    rows = [(name, r, metric, v) for name, metrics in values.items()
            for metric, series in metrics.items() for r, v in enumerate(series)]
    runs = pd.DataFrame(rows, columns=["scenario", "replicate", "metric", "value"])
    result = SimpleNamespace(runs=runs)
    return Measurements([(result, {name: name for name in values})], scenarios or {})


def evaluate(pattern_id: str, m: Measurements):
    return next(p for p in PATTERNS if p.id == pattern_id).evaluate(m)


def test_relative_change_passes_inside_the_target_and_fails_outside():
    rng = np.random.default_rng(0)
    base = 0.6 + rng.normal(0, 0.01, 20)
    for lift, expected in ((0.20, True), (0.10, False), (0.30, False)):
        m = synthetic({BASELINE: {"csat": list(base), "engagement_share": list(base)},
                       "p03_whole_workforce_engaged": {
                           "csat": list(base * (1 + lift) + rng.normal(0, 0.002, 20)),
                           "engagement_share": list(base + 0.1)}})
        verdict = evaluate("P3", m)
        assert verdict.passed is expected
        assert verdict.checks[0].estimate.mean == pytest.approx(lift, abs=0.01)
        assert verdict.mechanism_passed is True


@pytest.mark.parametrize("both, customer_only, employee_only, expected", [
    (3.0, 2.0, 1.2, True),     # in range, each alone in between
    (2.0, 1.5, 1.1, False),    # ratio too small
    (3.0, 3.5, 1.2, False),    # customer engagement alone beats both
    (3.0, 2.0, 0.9, False),    # engaged employees alone below neither
])
def test_p11_compares_the_quadrants_with_neither(both, customer_only, employee_only, expected):
    rng = np.random.default_rng(11)
    neither = 100.0 + rng.normal(0, 1, 20)
    m = synthetic({BASELINE: {
        "profit_neither": list(neither), "profit_both": list(neither * both),
        "profit_customer_only": list(neither * customer_only),
        "profit_employee_only": list(neither * employee_only),
        "revenue_neither": list(neither), "revenue_both": list(neither * 1.1),
        "operating_margin": [0.1] * 20, "units_both": [1.0] * 20, "units_neither": [1.0] * 20,
        "profit_employee_top": list(neither * 1.2), "profit_employee_bottom": list(neither),
        "revenue_employee_top": [1.0] * 20, "revenue_employee_bottom": [0.0] * 20}})
    verdict = evaluate("P11", m)
    assert verdict.passed is expected
    assert verdict.checks[0].estimate.mean == pytest.approx(both)
    # the customer-level revenue ratio, the margin and Gallup's quartile comparisons are
    # reported, never judged
    assert [c.passed for c in verdict.checks[3:]] == [None] * 6
    assert [c.target for c in verdict.checks[3:]] == ["reported"] * 6
    assert verdict.checks[3].estimate.mean == pytest.approx(1.1)
    quartiles = {c.quantity.split(" ratio")[0]: c.estimate for c in verdict.checks[5:]}
    assert quartiles["operating profit per customer"].mean == pytest.approx(1.2)
    # a ratio to nothing is undefined, and a missing metric is not measured
    assert np.isnan(quartiles["revenue per customer"].mean)
    assert np.isnan(quartiles["engaged-customer share"].mean)
    assert "Gallup's Q12" in verdict.checks[5].quantity


def test_p11_reports_every_quartile_outcome_the_units_measure():
    from cxsim.engine.metrics import QUARTILE_OUTCOMES
    assert tuple(outcome for outcome, _, _ in patterns.GALLUP_QUARTILES) == QUARTILE_OUTCOMES


def test_p11_ignores_runs_without_units_in_a_quadrant():
    """A run whose units all fall in 'both' or 'neither' has no unit in the other two
    quadrants (NaN): the ratio uses the runs that have them."""
    neither = np.full(20, 100.0)
    alone = np.where(np.arange(20) % 2 == 0, np.nan, 150.0)
    m = synthetic({BASELINE: {
        "profit_neither": list(neither), "profit_both": list(neither * 3.0),
        "profit_customer_only": list(alone), "profit_employee_only": list(alone),
        "revenue_neither": list(neither), "revenue_both": list(neither),
        "operating_margin": [0.1] * 20, "units_both": [1.0] * 20, "units_neither": [1.0] * 20}})
    verdict = evaluate("P11", m)
    assert verdict.passed is True
    assert verdict.checks[1].estimate.mean == pytest.approx(1.5)


def _ladder(metric_values):
    scenarios = {rung: SimpleNamespace(config={"silo_strength": (20 + 10 * i) / 100})
                 for i, rung in enumerate(SILO_RUNGS)}
    values = {}
    for i, rung in enumerate(SILO_RUNGS):
        values[rung] = {metric: series[i] for metric, series in metric_values.items()}
    return synthetic(values, scenarios)


def test_p12_passes_a_monotone_ladder_and_fails_a_significant_reversal():
    rng = np.random.default_rng(1)
    n = len(SILO_RUNGS)
    falling = [list(0.7 - 0.02 * i + rng.normal(0, 0.002, 10)) for i in range(n)]
    rising = [list(0.1 + 0.02 * i + rng.normal(0, 0.002, 10)) for i in range(n)]
    metrics = {"csat": falling, "nps": [[100 * v for v in r] for r in falling],
               "fcr": falling, "consistency": falling, "engagement_share": falling,
               "churn_rate": rising,
               "silo_effective": [[0.3 + 0.07 * i] * 10 for i in range(n)]}
    verdict = evaluate("P12", _ladder(metrics))
    assert verdict.passed is True and verdict.mechanism_passed is True
    # one rung that jumps back up: the slope still falls, but the step is reversed
    bumped = [list(r) for r in falling]
    bumped[4] = [v + 0.1 for v in bumped[4]]
    verdict = evaluate("P12", _ladder(metrics | {"csat": bumped}))
    csat = verdict.checks[0]
    assert verdict.passed is False and csat.passed is False and "reversed" in csat.note


def test_p13_needs_both_support_burnout_and_turnover_higher():
    alone = {"support_burnout_share": [0.30, 0.32, 0.31], "support_turnover_rate":
             [0.40, 0.42, 0.41], "burnout_support_frontline": [0.2, 0.25, 0.22],
             "burnout_support_manager": [0.5, 0.6, 0.55]}
    shared = {"support_burnout_share": [0.10, 0.11, 0.12], "support_turnover_rate":
              [0.40, 0.43, 0.40], "burnout_support_frontline": [0.0, 0.0, 0.0],
              "burnout_support_manager": [0.1, 0.0, 0.1]}
    verdict = evaluate("P13", synthetic({"p13_cx_in_support": alone, "p13_cx_shared": shared}))
    assert verdict.checks[0].passed is True
    assert verdict.checks[1].passed is False  # turnover: CI includes 0
    assert verdict.passed is False and verdict.mechanism_passed is True


def test_rest_is_an_equivalence_test_on_the_drift():
    rng = np.random.default_rng(2)
    small = {f"drift_{metric}": list(rng.normal(0, tol / 20, 20))
             for metric, _, tol in REST_METRICS}
    assert all(check.passed for check in rest_checks(synthetic({BASELINE: small})))
    drifting = dict(small)
    drifting["drift_nps"] = list(-4.6 + rng.normal(0, 0.5, 20))
    checks = {c.quantity: c.passed for c in rest_checks(synthetic({BASELINE: drifting}))}
    assert checks["drift nps"] is False and checks["drift csat"] is True
    # too few replicates to bound a noisy drift inside the tolerance: not "at rest"
    noisy = {key: [0.0, 5.0] for key in small}
    assert not any(c.passed for c in rest_checks(synthetic({BASELINE: noisy})))


def test_drift_compares_the_last_quarter_with_the_first():
    days = 2 * QUARTER_DAYS + 20
    daily = pd.DataFrame({
        "intervention_day": np.arange(-5, days - 5), "csat_top2": 60.0, "responses": 100.0,
        "nps_promoters": 30.0, "nps_detractors": 20.0, "resolved_first": 40.0,
        "first_contacts": 100.0, "engagement_share": np.linspace(0.30, 0.40, days),
        "engagement_mean": 0.5, "burnout_share": 0.02, "skill_mean": 0.5, "churned": 5.0,
        "quits": 0.1, "headcount": 100.0, "active_customers": 1000.0, "revenue": 10.0})
    drift = drift_values(daily)
    assert drift["drift_csat"] == pytest.approx(0.0)
    assert drift["drift_revenue"] == pytest.approx(0.0)
    period = daily[daily["intervention_day"] >= 0]["engagement_share"].to_numpy()
    expected = period[-QUARTER_DAYS:].mean() - period[:QUARTER_DAYS].mean()
    assert drift["drift_engagement_share"] == pytest.approx(expected)
    assert math.isnan(drift_values(daily.iloc[:100])["drift_csat"])


# ---------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def tiny_report():
    return validate(["P1", "P9", "P11", "P13"], mode=TINY, workers=1)


def test_a_tiny_validation_reports_every_chosen_pattern(tiny_report):
    table = tiny_report.table()
    assert list(dict.fromkeys(id for id in table["id"] if not id.startswith("rest:"))) == \
        ["P1", "P9", "P11", "P13"]
    p11 = table[table["id"] == "P11"]  # a tiny, young base may have no engaged customer
    # at 60 employees every team sits in one unit: no quadrant but 'neither' to compare
    margin = p11[p11["quantity"].str.contains("margin")]
    assert len(p11) == 9 and margin["value"].notna().all()
    rows = table[~table["id"].str.startswith("rest:") & (table["id"] != "P11")]
    assert rows["value"].notna().all() and (rows["n"] == 2).all()
    assert (rows["ci_low"] <= rows["value"]).all() and (rows["value"] <= rows["ci_high"]).all()
    assert set(table["mode"]) == {"quick"} and (table["replicates"] == 2).all()
    assert len([i for i in table["id"] if i.startswith("rest:")]) == len(REST_METRICS)
    # where burnout sits: every department and level, for the three scenarios
    assert set(tiny_report.burnout.columns[2:]) == {BASELINE, "p13_cx_in_support",
                                                     "p13_cx_shared"}


def test_quick_output_is_labelled_quick_and_names_the_files(tiny_report, tmp_path):
    text = tiny_report.markdown()
    assert "(QUICK)" in text.splitlines()[0] and "NOT the validation" in text
    assert "cxsim/experiments/library/p13_cx_in_support.toml" in text
    out = write_report(tiny_report, tmp_path / "v")
    assert sorted(p.name for p in out.iterdir()) == ["burnout.csv", "runs.csv",
                                                      "validation.csv", "validation.md"]
    csv = pd.read_csv(out / "validation.csv")
    assert {"id", "target", "value", "ci_low", "ci_high", "check", "scenarios",
            "window"} <= set(csv.columns)


def test_the_measure_hook_reaches_the_comparison(tiny_report):
    metrics = set(tiny_report.runs["metric"])
    assert {"quality_std", "support_burnout_share", "burnout_support_frontline",
            "centricity_frontline", "drift_csat"} <= metrics


def test_the_at_rest_test_adds_baseline_seeds_that_continue_the_replicates():
    """With more at-rest seeds than replicates, the extra baseline runs take the next
    seeds: the drift estimates are those of a validation with that many replicates."""
    more = validate(["P1"], mode=dataclasses.replace(TINY, rest_replicates=4), workers=1)
    same = validate(["P1"], mode=TINY, replicates=4, workers=1)
    assert more.replicates == 2 and more.rest_replicates == 4
    for a, b in zip(more.rest, same.rest):
        assert a.estimate.n == b.estimate.n == 4
        assert a.estimate.mean == pytest.approx(b.estimate.mean, nan_ok=True)
        assert a.estimate.low == pytest.approx(b.estimate.low, nan_ok=True)
    assert "4 baseline seeds (1..4: the 2 replicates and 2 more" in more.markdown()
    assert "over the 4 baseline replicates" in same.markdown()
    # patterns keep their own replicates
    assert (more.table().query("id == 'P1'")["n"] == 2).all()
    # the extra seeds' values are kept in runs.csv, after the replicates, apart by name
    rest = more.runs[more.runs["library_name"] == "baseline (at rest)"]
    assert sorted(set(rest["replicate"])) == [2, 3] and sorted(set(rest["seed"])) == [3, 4]
    assert {f"drift_{metric}" for metric, _, _ in REST_METRICS} <= set(rest["metric"])


# ---------------------------------------------------------------- bad input


def _error(capsys, argv) -> str:
    assert main(["validate", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path):
    assert "P99" in _error(capsys, ["--patterns", "P3,P99"])
    assert "--replicates = 1" in _error(capsys, ["--replicates", "1"])
    assert "--replicates" in _error(capsys, ["--replicates", "two"])
    assert "--workers" in _error(capsys, ["--workers", "0"])
    assert "directory" in _error(capsys, ["--markdown", str(tmp_path)])
    assert "does not exist" in _error(capsys, ["--markdown", str(tmp_path / "no" / "x.md")])
    file = tmp_path / "file"
    file.write_text("x")
    assert "existing file" in _error(capsys, ["--out", str(file)])


def test_a_scenario_missing_from_the_library_is_named(capsys, monkeypatch):
    real = library()
    monkeypatch.setattr(patterns, "library",
                        lambda: {k: v for k, v in real.items() if k != "p05_training"})
    err = _error(capsys, ["--patterns", "P5"])
    assert "P5" in err and "p05_training" in err and "missing" in err
    with pytest.raises(ParameterError, match="p05_training"):
        validate("P5", mode=TINY)


def _valid_ids(text: str) -> bool:
    items = [item.strip().upper() for item in text.split(",")]
    return all(item in PATTERN_IDS for item in items)


@given(st.text(min_size=0, max_size=20))
def test_fuzzed_pattern_lists_are_refused_in_one_line(text):
    assume(not _valid_ids(text))
    with pytest.raises(ParameterError) as error:
        check_pattern_ids(text)
    assert len(str(error.value).splitlines()) == 1


@given(st.one_of(st.integers(max_value=1), st.floats(), st.booleans(), st.text(max_size=5),
                 st.none()))
def test_fuzzed_replicates_below_two_or_not_integers_are_refused(value):
    with pytest.raises(ParameterError) as error:
        patterns.check_validate_replicates(value)
    assert len(str(error.value).splitlines()) == 1


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12))
def test_fuzzed_cli_options_exit_2_with_one_line(text):
    assume(not text.startswith("-") and "\x00" not in text)
    assume(not _valid_ids(text))
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(["validate", "--patterns", text]) == 2
        replicates = text.strip()
        if not (replicates.isdigit() and int(replicates) >= 2):
            assert main(["validate", "--patterns", "P1", "--replicates", text]) == 2
    lines = [line for line in err.getvalue().splitlines() if line]
    assert lines and all(line.startswith("cxsim: error:") for line in lines)


def test_the_markdown_file_check_accepts_a_new_file(tmp_path):
    from cxsim.interfaces.cli import check_markdown_file

    assert check_markdown_file(tmp_path / "v.md") == tmp_path / "v.md"
    (tmp_path / "v.md").write_text("old")
    assert check_markdown_file(tmp_path / "v.md") == tmp_path / "v.md"


def test_the_command_prints_and_writes_the_report(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(patterns, "QUICK", TINY)
    markdown, out = tmp_path / "validation.md", tmp_path / "out"
    assert main(["validate", "--quick", "--patterns", "p1", "--workers", "1", "--quiet",
                 "--markdown", str(markdown), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "(QUICK)" in printed and "| P1 |" in printed and "## Baseline at rest" in printed
    text = markdown.read_text()
    assert f"cxsim validate --patterns P1 --quick --markdown {markdown}" in text
    assert "### P1:" in text and "### P2:" not in text
    assert (out / "validation.csv").is_file()
    # an earlier output directory is replaced, not refused
    assert main(["validate", "--quick", "--patterns", "P1", "--workers", "1", "--quiet",
                 "--out", str(out)]) == 0


@given(st.one_of(st.integers(max_value=1), st.floats(allow_nan=True), st.text(max_size=4),
                 st.lists(st.integers(), max_size=2)),
       st.one_of(st.none(), st.sampled_from(["P0", "P15", "", ",", "P3,,P5", "all"])))
def test_the_python_api_refuses_bad_input_before_running(replicates, ids):
    with pytest.raises(ParameterError):
        validate(ids if ids is not None else ["P99"], replicates=replicates, mode=TINY)
    with pytest.raises(ParameterError):
        validate("P1", replicates=replicates, mode=TINY)
