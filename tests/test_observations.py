"""Observations files: parsing, checks (one line per bad row) and simulated counterparts."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxsim.core.parameters import Config, ParameterError
from cxsim.core.structure import Structure
from cxsim.experiments.observations import (
    ORGANISATION_METRICS,
    read_observations,
    standard_error,
    window_values,
)
from cxsim.experiments.specs import RunSpec, run_spec

CONFIG = Config.from_flat({"burn_in_days": 30, "days": 90})
STRUCTURE = Structure()


def write(tmp_path, text: str):
    path = tmp_path / "obs.csv"
    path.write_text(text)
    return path


def errors_of(path, **kwargs) -> list[str]:
    with pytest.raises(ParameterError) as caught:
        read_observations(path, CONFIG, STRUCTURE, **kwargs)
    return caught.value.errors


def test_a_valid_file_is_read_with_aliases_dates_and_standard_errors(tmp_path):
    path = write(tmp_path, "date,metric,department,value,n,se,window_days\n"
                           "2026-01-30,csat,,0.8,400,,\n"
                           "2026-03-01,engagement,support,0.55,,0.04,\n"
                           "2026-03-31,churn_rate,,0.2,1000,,90\n")
    obs = read_observations(path, CONFIG, STRUCTURE, start_date="2026-01-01")
    frame = obs.frame
    assert list(frame["day"]) == [29, 59, 89]
    assert list(frame["metric"]) == ["csat", "engagement_mean", "churn_rate"]
    assert list(frame["label"]) == ["csat", "engagement_mean@support", "churn_rate"]
    assert frame["se"][0] == pytest.approx(math.sqrt(0.8 * 0.2 / 400))
    assert frame["se"][1] == 0.04
    assert list(frame["first_day"]) == [0, 30, 0]
    assert obs.needs_departments


def test_missing_columns_are_named(tmp_path):
    lines = errors_of(write(tmp_path, "metric,valu\ncsat,0.8\n"))
    text = "\n".join(lines)
    assert "column 'valu' is not allowed: unknown column; did you mean value?" in text
    assert "column 'value' is missing" in text
    assert "column 'day' is missing" in text


def test_every_bad_row_gets_one_line_naming_row_and_column(tmp_path):
    path = write(tmp_path, "day,metric,department,value,n,se\n"
                           "29,csatt,,0.8,100,\n"            # unknown metric
                           "29,csat,,1.4,100,\n"             # out of range
                           "29,csat,billing,0.8,100,\n"      # unknown department
                           "400,csat,,0.8,100,\n"            # after the horizon
                           "29,fcr,,1.2,100,\n"              # out of range
                           "29,csat,,0.8,,\n"                # neither n nor se
                           "x,csat,,0.8,100,\n"              # not a number
                           "29,nps,,12,100,-1\n")            # se <= 0
    lines = errors_of(path)
    assert len(lines) == 8
    expected = [("row 1, column metric", "did you mean csat"),
                ("row 2, column value", "out of range for csat; expected 0 to 1"),
                ("row 3, column department", "not a department of the scenario"),
                ("row 4, column day", "after the run's last day 89"),
                ("row 5, column value", "expected 0 to 1"),
                ("row 6, columns n and se", "both empty"),
                ("row 7, column day", "expected a whole number"),
                ("row 8, column se", "greater than 0")]
    for line, (where, what) in zip(lines, expected):
        assert line.startswith(f"{path}: {where}"), line
        assert what in line, line


def test_dates_need_a_start_date_and_must_parse(tmp_path):
    path = write(tmp_path, "date,metric,value,n\n2026-02-30,csat,0.8,100\n")
    assert "needs a start date" in errors_of(path)[0]
    line = errors_of(path, start_date="2026-01-01")[0]
    assert "row 1, column date: '2026-02-30' is not allowed: not a date" in line


def test_a_window_reaching_before_the_run_is_refused(tmp_path):
    path = write(tmp_path, "day,metric,value,n,window_days\n-20,csat,0.8,100,30\n")
    assert "starts before the run" in errors_of(path)[0]


def test_department_metrics_are_the_per_department_fields(tmp_path):
    path = write(tmp_path, "day,metric,department,value,se\n29,churn_rate,support,0.2,0.01\n")
    line = errors_of(path)[0]
    assert "unknown per-department metric 'churn_rate'" in line


def test_files_that_are_not_csv_text_are_refused(tmp_path):
    assert "does not exist" in errors_of(tmp_path / "missing.csv")[0]
    assert "empty" in errors_of(write(tmp_path, ""))[0]
    (tmp_path / "bin.csv").write_bytes(b"day,metric\x00")
    assert "NUL" in errors_of(tmp_path / "bin.csv")[0]


def test_standard_errors_from_sample_sizes():
    assert standard_error("csat", 0.5, 100) == pytest.approx(0.05)
    assert standard_error("csat", 1.0, 100) > 0  # clipped away from 0 and 1
    assert standard_error("nps", 0.0, 100) == pytest.approx(10.0)
    assert standard_error("churn_rate", 0.2, 1000) is None  # not a survey


def test_records_of_the_whole_population_need_no_standard_error(tmp_path):
    path = write(tmp_path, "day,metric,value,n,se\n89,churn_rate,0.2,,\n89,revenue,5000,,"
                           "\n89,csat,0.8,,\n")
    lines = errors_of(path)
    assert len(lines) == 1 and "row 3, columns n and se: both empty" in lines[0]
    obs = read_observations(write(tmp_path, "day,metric,value\n89,churn_rate,0.2\n"), CONFIG,
                            STRUCTURE)
    assert obs.frame["se"][0] == 0.0


def test_window_values_match_the_summary_over_the_final_window():
    spec = RunSpec.build(seed=4, n_employees=40, n_customers=600, burn_in_days=10, days=40,
                         record=("departments",))
    result = run_spec(spec)
    summary = result.summary()
    values = window_values(result.daily, result.departments,
                           (("csat", "", 10, 39), ("engagement_share", "", 10, 39),
                            ("csat", "support", 10, 39)))
    assert values[0] == pytest.approx(summary["csat"])
    assert values[1] == pytest.approx(summary["engagement_share"])
    support = result.departments[(result.departments.department == "support")
                                 & (result.departments.intervention_day >= 10)]
    pooled = (support.csat * support.responses).sum() / support.responses.sum()
    assert values[2] == pytest.approx(pooled, rel=1e-6)


cells = st.one_of(st.sampled_from(["", "29", "-5", "1e9", "nan", "0.5", "csat", "support",
                                   "2026-01-01", "x", "inf", "12.5"]),
                  st.text(max_size=8))
names = st.sampled_from(["day", "date", "metric", "department", "value", "n", "se",
                         "window_days", "extra"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(columns=st.lists(names, min_size=1, max_size=7, unique=True),
       rows=st.lists(st.lists(cells, min_size=7, max_size=7), min_size=0, max_size=4))
def test_any_table_is_read_or_refused_with_one_line_errors(columns, rows):
    table = pd.DataFrame([row[:len(columns)] for row in rows], columns=columns, dtype=str)
    try:
        obs = read_observations(table, CONFIG, STRUCTURE, start_date="2026-01-01")
    except ParameterError as error:
        assert error.errors and all(line.startswith("observations: ") for line in error.errors)
        assert all("\n" not in line for line in error.errors)
        return
    assert len(obs) == len(rows)
    assert set(obs.frame["metric"]) <= set(ORGANISATION_METRICS) | {
        "engagement_mean", "burnout_share", "turnover_rate"}
    assert (obs.frame["se"] >= 0).all()
