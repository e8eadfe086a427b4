"""P11's bound under Gallup's quartile evidence (experiments/p11_bound.py): the
magnification of unit profit deviations and the command line (the runs take minutes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from experiment_helpers import load_experiment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def bound():
    return load_experiment("p11_bound")


def organisation(profit, seed=1) -> pd.DataFrame:
    """Four units: engagement and engaged customers rise together from unit 0 to 3."""
    return pd.DataFrame({"employee_engagement": [0.4, 0.5, 0.6, 0.7],
                         "engaged_customers": [0.2, 0.25, 0.3, 0.35],
                         "customers_at_start": [100.0, 100.0, 100.0, 100.0],
                         "profit_per_customer": profit, "seed": seed})


def test_magnifying_the_deviations_widens_both_comparisons(bound):
    units = organisation([90.0, 95.0, 105.0, 110.0])
    plain = bound.magnified(units, 1.0)
    assert plain["quartile"] == pytest.approx(110 / 90)
    assert plain["both/neither"] == pytest.approx(107.5 / 92.5)  # two units each side
    doubled = bound.magnified(units, 2.0)
    assert doubled["quartile"] == pytest.approx(120 / 80)
    assert doubled["both/neither"] == pytest.approx(115 / 85)
    # alike units stay alike, whatever the scale
    assert bound.magnified(units, 0.0)["quartile"] == pytest.approx(1.0)


def test_a_unit_at_a_loss_leaves_the_ratios_undefined(bound):
    units = organisation([10.0, 95.0, 105.0, 190.0])
    out = bound.magnified(units, 2.0)  # the first unit: 100 - 2 * 90 < 0
    assert out["losses"] == 1.0 and np.isnan(out["quartile"]) and np.isnan(out["both/neither"])
    table = bound.bound_table(pd.concat([units, organisation([99.0, 100, 100, 101], 2)]),
                              [1.0, 2.0])
    assert table.loc[2.0, "losses"] == 0.5 and table.loc[2.0, "seeds"] == 1
    assert table.loc[1.0, "seeds"] == 2
    assert table.loc[2.0, "quartile median"] == pytest.approx(1.02 / 0.98)  # seed 2 alone


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=20))
def test_bad_scales_are_one_line_errors(bound, capsys, text):
    try:
        scales = [float(x) for x in text.split(",")]
        if all(np.isfinite(s) and s >= 0 for s in scales):
            return  # a valid list
    except ValueError:
        pass
    with pytest.raises(SystemExit) as exit_:
        bound.main([f"--scales={text}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--scales" in err and "is not allowed" in err and "Traceback" not in err


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["--seeds", "--employees", "--customers", "--workers"]),
       st.integers(-10**9, 0))
def test_bad_counts_are_one_line_errors(bound, capsys, name, value):
    with pytest.raises(SystemExit) as exit_:
        bound.main([name, str(value)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"{name} = {value} is not allowed" in err and "Traceback" not in err


def test_a_size_the_model_refuses_is_named(bound, capsys):
    with pytest.raises(SystemExit):
        bound.main(["--employees", "5"])
    err = capsys.readouterr().err
    assert "n_employees" in err and "5" in err and "Traceback" not in err
