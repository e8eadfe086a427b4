"""Mesa integration: DataCollector, batch_run and the keyword signature used by SolaraViz."""

from __future__ import annotations

import inspect

import mesa
import pytest

from cxsim import CXModel
from cxsim.core.parameters import PARAMETERS
from cxsim.engine.metrics import DAILY_METRICS

BATCH = {"silo_strength": [0.2, 0.8], "n_employees": 60, "n_customers": 1500,
         "burn_in_days": 5, "days": 10}
#: Mesa 3.5 seeds batch runs with its own ``rng=`` argument (a seed passed as a parameter
#: is replaced); Mesa 3.3 takes the seed as a parameter.
SEEDED_BY_ARGUMENT = "rng" in inspect.signature(mesa.batch_run).parameters


def _batch(**kwargs):
    if SEEDED_BY_ARGUMENT:
        return mesa.batch_run(CXModel, parameters=BATCH, rng=[1], max_steps=20,
                              display_progress=False, **kwargs)
    return mesa.batch_run(CXModel, parameters={**BATCH, "rng": [1]}, iterations=1,
                          max_steps=20, display_progress=False, **kwargs)


@pytest.fixture(scope="module")
def rows():
    return _batch(number_processes=1)


def test_batch_run_returns_model_metrics_for_each_combination(rows):
    assert len(rows) == 2
    assert sorted(r["silo_strength"] for r in rows) == [0.2, 0.8]
    for row in rows:
        assert row.get("rng", 1) == 1 and row["n_employees"] == 60
        for metric in DAILY_METRICS:
            assert metric in row, metric
        assert 0 <= row["csat"] <= 1 and row["headcount"] > 0
    by_silo = {r["silo_strength"]: r for r in rows}
    assert by_silo[0.8]["silo_effective"] > by_silo[0.2]["silo_effective"]


def test_batch_run_stops_at_the_horizon(rows):
    # the model stops itself after warm-up + days steps, well before max_steps
    assert all(r["Step"] < 20 for r in rows)


def test_batch_run_is_reproducible_and_parallel_safe(rows):
    again = _batch(number_processes=2)
    key = lambda r: r["silo_strength"]  # noqa: E731
    for a, b in zip(sorted(rows, key=key), sorted(again, key=key)):
        assert {k: v for k, v in a.items() if k != "RunId"} == pytest.approx(
            {k: v for k, v in b.items() if k != "RunId"}, nan_ok=True)


def test_datacollector_holds_every_daily_metric():
    model = CXModel(n_employees=60, n_customers=1000, burn_in_days=2, days=3, rng=5)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == list(DAILY_METRICS)
    # the first row is the state before the first step (day -1), then one row per day
    assert len(frame) == 6 and frame["day"].tolist() == list(range(-1, 5))
    assert frame["intervention_day"].tolist() == list(range(-3, 3))
    assert model.steps == 5 and not model.running


def test_model_runs_with_mesa_step_loop():
    model = CXModel(n_employees=60, n_customers=1000, burn_in_days=2, days=3, rng=5)
    steps = 0
    while model.running and steps < 100:
        model.step()
        steps += 1
    assert steps == 5 and model.day == 5


def test_signature_defaults_build_the_documented_default_model():
    defaults = {name: p.default for name, p in inspect.signature(CXModel).parameters.items()
                if p.default is not inspect.Parameter.empty}
    overrides = {**{p.name: defaults[p.name] for p in PARAMETERS},
                 "n_employees": 60, "n_customers": 1000}
    model = CXModel(rng=1, **overrides)
    assert model.p.silo_strength == defaults["silo_strength"]
    assert model.p.days == defaults["days"]
