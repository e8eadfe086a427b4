"""P11 over a population of organisations (experiments/p11_population.py): the pooled
quadrant ratios and the command line (the runs themselves take minutes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from experiment_helpers import load_experiment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def population():
    return load_experiment("p11_population")


def units(employee, customer, profit, customers, revenue=None) -> pd.DataFrame:
    revenue = profit if revenue is None else revenue
    return pd.DataFrame({"employee_engagement": employee, "engaged_customers": customer,
                         "profit_per_customer": profit, "revenue_per_customer": revenue,
                         "customers_at_start": customers, "margin": 0.1})


def test_quadrants_are_split_at_the_pooled_medians_and_weighted_by_customers(population):
    # two units in each quadrant; 'both' earns 3 and 5 (weights 1 and 3: mean 4.5)
    frame = units(employee=[0.9, 0.8, 0.9, 0.8, 0.1, 0.2, 0.1, 0.2],
                  customer=[0.9, 0.8, 0.1, 0.2, 0.9, 0.8, 0.1, 0.2],
                  profit=[3.0, 5.0, 2.0, 2.0, 1.5, 1.5, 1.0, 1.0],
                  customers=[1, 3, 1, 1, 1, 1, 1, 1])
    ratios = population.quadrant_ratios(frame)
    assert ratios["profit_both"] == pytest.approx(4.5)
    assert ratios["profit_employee_only"] == pytest.approx(2.0)
    assert ratios["profit_customer_only"] == pytest.approx(1.5)
    assert ratios["units_both"] == 2 and ratios["units_neither"] == 2


def test_units_without_customers_or_staff_are_left_out(population):
    frame = units(employee=[0.9, 0.1, 0.9, 0.1, np.nan, 0.5],
                  customer=[0.9, 0.1, 0.1, 0.9, 0.5, 0.5],
                  profit=[2.0, 1.0, 1.0, 1.0, 100.0, 100.0], customers=[1, 1, 1, 1, 1, 0])
    ratios = population.quadrant_ratios(frame)
    assert ratios["profit_both"] == pytest.approx(2.0)


def test_ratios_to_a_loss_are_undefined(population):
    """Units high on neither that lose money make every profit ratio meaningless."""
    frame = units(employee=[0.9, 0.1, 0.9, 0.1], customer=[0.9, 0.1, 0.1, 0.9],
                  profit=[2.0, -1.0, 1.0, 1.0], customers=[1, 1, 1, 1])
    ratios = population.quadrant_ratios(frame)
    assert np.isnan(ratios["profit_both"]) and np.isnan(ratios["profit_employee_only"])
    assert ratios["revenue_both"] == pytest.approx(-2.0)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["--populations", "--organisations", "--employees", "--customers",
                        "--units", "--workers"]), st.integers(-10**9, 0))
def test_bad_counts_are_one_line_errors(population, capsys, name, value):
    with pytest.raises(SystemExit) as exit_:
        population.main([name, str(value)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"{name} = {value} is not allowed" in err and "Traceback" not in err


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([("--employees", "organisation.n_employees", 20, 200_000),
                        ("--customers", "customers.n_customers", 100, 20_000_000),
                        ("--units", "organisation.business_units", 1, 100)]),
       st.one_of(st.integers(-10**9, -1), st.integers(1, 10**9)))
def test_sizes_outside_the_model_are_one_line_errors(population, capsys, option, value):
    """A size the model does not accept is refused before any worker starts, naming the
    option or the parameter, the value and the range."""
    name, parameter, low, high = option
    if low <= value <= high:
        return
    with pytest.raises(SystemExit) as exit_:
        population.main([name, str(value)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert (f"{name} = {value}" in err or f"{parameter} = {value}" in err), err
    assert "Traceback" not in err
