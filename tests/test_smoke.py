"""Fast end-to-end checks, also run on Python 3.12 / the newest Mesa 3.x by .ci/run."""

import math

import mesa

import cxsim


def test_default_scenario_runs_small_and_reports_headline_metrics():
    result = cxsim.run(seed=3, n_employees=120, n_customers=4000, burn_in_days=20, days=40)
    summary = result.summary()
    for key in ("csat", "nps", "fcr", "engagement_share", "churn_rate", "revenue"):
        assert math.isfinite(summary[key]), key
    assert 0 <= summary["csat"] <= 1 and -100 <= summary["nps"] <= 100
    assert len(result.daily) == 20 + 40 + 1


def test_employees_are_mesa_agents_in_the_model_agentset():
    model = cxsim.CXModel(n_employees=60, n_customers=1000, burn_in_days=0, days=5, rng=1)
    employees = model.agents_by_type[cxsim.engine.model.Employee]
    assert len(employees) == model.active.sum() == 60
    assert isinstance(model.customer(0), mesa.Agent)
