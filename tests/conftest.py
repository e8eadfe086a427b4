"""Shared helpers for the cxsim test suite.

Model runs are kept small (a few hundred thousand customer-days) so the whole suite
stays within the CI budget; tests that compare scenarios share runs through
module-scoped fixtures and use several seeds, never one lucky seed.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from cxsim.engine.model import CXModel
from cxsim.results import Result

# CI: few examples, the same ones every run (no flaky property tests). For a deeper
# search run with HYPOTHESIS_PROFILE=thorough.
settings.register_profile("cxsim", max_examples=20, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "cxsim"))

#: A small organisation that still has every department, level and touchpoint.
TINY = dict(n_employees=60, n_customers=1500, burn_in_days=10, days=20)
SMALL = dict(n_employees=100, n_customers=4000, burn_in_days=20, days=60)


def run_model(seed: int, interventions=(), **parameters) -> Result:
    """Build and run a model, returning its :class:`~cxsim.results.Result` with the model
    attached as ``result.model`` for white-box tests (a Result itself is model-free)."""
    model = CXModel(rng=seed, interventions=list(interventions), **parameters)
    model.run()
    result = Result(model, seed)
    result.model = model
    return result


def pooled(daily: pd.DataFrame, numerator: str, denominator: str) -> float:
    """A ratio pooled over the rows of ``daily`` (e.g. csat_top2 / responses)."""
    den = float(daily[denominator].sum())
    return float(daily[numerator].sum()) / den if den else math.nan


def intervention_period(result: Result, after: int = 0) -> pd.DataFrame:
    """Daily rows of the intervention period from its day ``after`` on (rows are labelled
    with the simulated day: intervention_day 0 is the first day of the period)."""
    daily = result.daily
    return daily[daily["intervention_day"] >= after]


def simulated_days(daily: pd.DataFrame) -> pd.DataFrame:
    """Every row but the first, which holds the state before the first step."""
    return daily.iloc[1:]


def paired_mean_difference(treated: list[float], control: list[float]) -> float:
    """Mean of per-seed differences treated - control (common seeds)."""
    assert len(treated) == len(control) > 0
    return float(np.mean(np.subtract(treated, control)))


def same_number(a, b) -> bool:
    """Equal, treating NaN as equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


# --- invariants of a model's state (used after any number of steps) -----------------------

SHARE_COLUMNS = ("csat", "fcr", "quality_mean", "consistency", "engagement_mean",
                 "engagement_share", "burnout_share", "strain_mean", "skill_mean",
                 "empowerment_mean", "centricity_mean", "training_completion",
                 "promoter_share", "detractor_share", "silo_effective", "defect_rate_mean")


def assert_model_invariants(model) -> None:
    """Book-keeping of a CXModel agrees with a recount from its arrays."""
    from cxsim.core import dynamics as dyn
    from cxsim.engine.model import ACTIVE, CHURNED, NEVER, PROSPECT, Employee

    status = model.c_status
    active = status == ACTIVE
    # customers: every row is a prospect, active or churned; counters match
    assert set(np.unique(status)) <= {PROSPECT, ACTIVE, CHURNED}
    counts = np.bincount(status, minlength=3)
    assert counts.sum() == model.n_customer_rows
    assert counts[ACTIVE] == model.active_customers
    assert counts[PROSPECT] == model.prospects_left
    assert np.all(status[model.prospect_stack[:model.prospects_left]] == PROSPECT)
    assert counts[CHURNED] == model.churn_by_outcome.sum()
    assert np.array_equal(model.outcome_customers,
                          np.bincount(model.c_last_outcome[active], minlength=4))
    # satisfaction thresholds give the promoter and detractor counters
    sat = model.c_satisfaction[active]
    assert model.promoters == int((sat >= dyn.PROMOTER_SATISFACTION).sum())
    assert model.detractors == int((sat < dyn.DETRACTOR_SATISFACTION).sum())
    # revenue rate is the spend of active customers
    assert model.revenue_rate == approx_equal(model.c_spend_rate[active].sum())
    assert np.all(model.c_spend_rate[~active] == 0)
    assert np.all(model.c_spend_rate[active] >= 0)
    # every active customer has a future contact; others none; problems only when active
    assert np.all(model.c_next_contact[active] >= model.day)
    assert np.all(model.c_next_contact[~active] == NEVER)
    assert not np.any(model.c_problem_open[~active])
    for name in ("c_satisfaction", "c_loyalty", "c_expectation"):
        values = getattr(model, name)
        assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1)), name
    for name in ("c_mean_affect", "c_peak_affect", "c_end_affect", "c_spend_rate"):
        assert np.all(np.isfinite(getattr(model, name))), name
    # employees: agents are exactly the filled positions
    filled = np.flatnonzero(model.active)
    agents = list(model.agents_by_type[Employee]) if Employee in model.agents_by_type else []
    assert sorted(a.row for a in agents) == filled.tolist()
    assert all(model.employee_at(a.row) is a for a in agents)
    assert all(model.employee_at(int(r)) is None for r in np.flatnonzero(~model.active))
    assert not np.any(model.active & model.eliminated)
    for name in ("engagement", "skill", "empowerment", "centricity", "strain", "recognition"):
        values = getattr(model, name)
        assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1)), name
    assert np.all(model.tenure[model.active] >= 0)
    assert np.all(np.isfinite(model.training_hours)) and np.all(model.training_hours >= 0)
    # network and defects
    assert model.network_ties == model.network.number_of_edges()
    assert not any(u == v for u, v in model.network.edges())
    assert 0 <= model.silo_effective <= 1
    assert np.all((model.department_silo >= 0) & (model.department_silo <= 1))
    # root-cause fixes lower defect rates towards the floor, never below it or above the start
    start = model.p.defect_rate * model.tp_defect_multiplier
    floor = model.p.defect_floor * model.tp_defect_multiplier
    assert np.all(model.defect_rate >= floor - 1e-12)
    assert np.all(model.defect_rate <= start + 1e-12)


def assert_daily_invariants(daily: pd.DataFrame) -> None:
    """The daily metrics are within range and consistent with their own counts."""
    rows = simulated_days(daily)
    for column in SHARE_COLUMNS:
        values = rows[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column
    nps = rows["nps"].dropna()
    assert ((nps >= -100) & (nps <= 100)).all()
    answered = rows[rows["responses"] > 0]
    assert not answered[["csat", "nps"]].isna().any().any()
    assert np.allclose(answered["csat"], answered["csat_top2"] / answered["responses"])
    assert np.allclose(answered["nps"], 100 * (answered["nps_promoters"]
                                               - answered["nps_detractors"])
                       / answered["responses"])
    assert (rows["responses"] <= rows["contacts"]).all()
    assert (rows["resolved_first"] <= rows["first_contacts"]).all()
    assert (rows["first_contacts"] <= rows["problem_contacts"]).all()
    closed = rows["resolved_first"] + rows["resolved_repeat"] + rows["unresolved"]
    assert (closed <= rows["problem_contacts"]).all()
    assert (rows["problem_contacts"] <= rows["contacts"]).all()
    # every closed problem had a first contact, every first contact an opened problem
    assert (closed.cumsum() <= rows["first_contacts"].cumsum()).all()
    assert (rows["first_contacts"].cumsum() <= rows["problems_opened"].cumsum()).all()
    assert (rows["pain_points_missed"] >= 0).all()
    assert (rows["pain_points_missed"] <= rows["pain_points"]).all()
    assert (rows["promoter_share"] + rows["detractor_share"] <= 1 + 1e-12).all()
    # stocks follow their flows
    active = daily["active_customers"].to_numpy()
    flows = (rows["acquisitions"] - rows["churned"]).to_numpy()
    assert np.array_equal(np.diff(active), flows)
    numeric = daily.drop(columns=["csat", "nps", "fcr", "contacts_per_resolution",
                                  "time_to_resolution", "quality_mean", "quality_std",
                                  "consistency", "touchpoint_spread", "department_spread"])
    assert not numeric.iloc[1:].isna().any().any()


def approx_equal(value):
    return pytest.approx(value, rel=1e-9, abs=1e-6)
