"""The per-agent reference model: same interface and validation as the engine, Mesa
agents throughout, reproducible, and the same metrics (tests/test_docking.py shows
the two implementations agree in distribution)."""

from __future__ import annotations

import inspect
import math
import textwrap
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from cxsim.core.parameters import ParameterError
from cxsim.engine.model import CXModel
from cxsim.engine.phases import update_workforce
from cxsim.experiments.scenarios import load_scenario
from cxsim.reference import CustomerAgent, EmployeeAgent, ReferenceModel, run_reference
from cxsim.reference.agents import ACTIVE, CHURNED, PROSPECT
from cxsim.results import Result, run

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(n_employees=40, n_customers=400, burn_in_days=5, days=10)


def test_same_keyword_signature_as_the_engine():
    assert inspect.signature(ReferenceModel) == inspect.signature(CXModel)


BAD_INPUTS = {
    "out of range": dict(silo_strength=1.5),
    "unknown name": dict(silo_strenght=0.5),
    "not a number": dict(n_employees="many"),
    "nested out of range": dict(config={"organisation": {"n_employees": 10}}),
    "unknown section": dict(config={"organisations": {"n_employees": 100}}),
    "peak and end weights": dict(peak_weight=0.7, end_weight=0.5),
    "floor above rate": dict(defect_rate=0.01, defect_floor=0.05),
    "unknown intervention": dict(interventions=[{"type": "nonsense"}]),
    "bad intervention field": dict(interventions=[{"type": "training", "hours": 0}]),
    "unknown intervention field": dict(interventions=[{"type": "training", "colour": "red"}]),
    "unknown department": dict(interventions=[{"type": "training", "departments": ["finance"]}]),
    "no executive department": dict(structure={"departments": [{"name": "support",
                                                                "share": 0.5}]}),
    "bad segment": dict(structure={"segments": [{"name": "all", "share": 1.0,
                                                 "value_multiplier": 1.0,
                                                 "expectation": 1.5}]}),
}


@pytest.mark.parametrize("bad", BAD_INPUTS.values(), ids=BAD_INPUTS)
def test_bad_input_is_rejected_with_the_engines_message(bad):
    kwargs = {**TINY, **bad}
    with pytest.raises(ParameterError) as engine_error:
        CXModel(rng=1, **kwargs)
    with pytest.raises(ParameterError) as reference_error:
        ReferenceModel(rng=1, **kwargs)
    assert str(reference_error.value) == str(engine_error.value)


def _frames(result: Result) -> dict[str, pd.DataFrame]:
    return {"daily": result.daily, "departments": result.departments,
            "touchpoints": result.touchpoints, "teams": result.teams}


def test_reproducible_by_seed():
    interventions = [{"type": "training"}, {"type": "collaboration", "ramp_days": 3},
                     {"type": "layoffs", "start": 2, "intensity": 0.1}]
    first = run_reference(seed=5, interventions=interventions, **TINY)
    again = run_reference(seed=5, interventions=interventions, **TINY)
    other = run_reference(seed=6, interventions=interventions, **TINY)
    for name, frame in _frames(first).items():
        pd.testing.assert_frame_equal(frame, _frames(again)[name], check_exact=True, obj=name)
    assert _same_with_nan(first.summary(), again.summary())
    assert not first.daily.equals(other.daily)


def _same_with_nan(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k]))
        for k in a)


@pytest.fixture(scope="module")
def busy_model() -> ReferenceModel:
    """A reference model after days with turnover, hiring, layoffs, acquisition and churn."""
    model = ReferenceModel(rng=3, interventions=[{"type": "layoffs", "start": 1,
                                                  "intensity": 0.2},
                                                 {"type": "hiring", "ramp_days": 0}],
                           base_quit_rate=2.0, hiring_delay_days=2, contact_churn_hazard=0.05,
                           **TINY)
    return model.run()


def test_every_employee_and_customer_is_a_mesa_agent_with_its_own_step(busy_model):
    model = busy_model
    for cls in (EmployeeAgent, CustomerAgent):
        assert issubclass(cls, mesa.Agent)
        assert "step" in vars(cls), f"{cls.__name__} has no step of its own"
    employees = model.agents_by_type[EmployeeAgent]
    customers = model.agents_by_type[CustomerAgent]
    assert len(model.agents) == len(employees) + len(customers)
    # one employee agent per filled position, none for vacant or eliminated positions
    assert sorted(e.position for e in employees) == np.flatnonzero(model.active).tolist()
    assert all(model.employee_at(e.position) is e for e in employees)
    assert model.eliminated and not any(model.active[sorted(model.eliminated)])
    assert model.recorder.current["hires"] >= 0 and sum(
        e.first_day is not None for e in employees) > 0
    # one customer agent per customer row, prospects included
    n0 = model.p.n_customers
    assert len(customers) == n0 + round(n0 * model.p.prospect_pool_share)
    states = [c.status for c in customers]
    assert set(states) == {PROSPECT, ACTIVE, CHURNED}
    assert states.count(ACTIVE) == model.active_customers
    assert states.count(CHURNED) == model.churn_by_outcome.sum()
    assert model.outcome_customers.sum() == model.active_customers
    assert all(c.next_contact is not None and c.next_contact >= model.day
               for c in customers if c.status == ACTIVE)


def test_result_works_and_has_the_engines_shape(busy_model):
    reference = Result(busy_model, 3)
    engine = run(seed=3, interventions=[{"type": "layoffs", "start": 1, "intensity": 0.2},
                                        {"type": "hiring", "ramp_days": 0}],
                 base_quit_rate=2.0, hiring_delay_days=2, contact_churn_hazard=0.05, **TINY)
    for name, frame in _frames(reference).items():
        other = _frames(engine)[name]
        assert list(frame.columns) == list(other.columns), name
        assert frame.shape == other.shape, name
    assert reference.summary().keys() == engine.summary().keys()
    for key in ("csat", "nps", "fcr", "engagement_share", "churn_rate", "revenue"):
        assert math.isfinite(reference.summary()[key]), key
    daily = reference.daily
    flows = (daily["acquisitions"] - daily["churned"]).to_numpy()[1:]
    assert np.array_equal(np.diff(daily["active_customers"].to_numpy()), flows)


SCENARIO_FILES = sorted((ROOT / "experiments" / "scenarios").glob("*.toml"))


def _run_scenario(path: Path) -> Result:
    scenario = load_scenario(path)
    # the run must reach every intervention's start (a later start is refused)
    days = max([TINY["days"]] + [iv.start + 1 for iv in scenario.interventions])
    model = ReferenceModel(scenario.config.with_overrides({**TINY, "days": days}),
                           interventions=scenario.interventions,
                           structure=scenario.structure, rng=scenario.seed)
    return Result(model.run(), scenario.seed)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_scenario_files_run_on_the_reference(path):
    summary = _run_scenario(path).summary()
    assert 0 <= summary["csat"] <= 1 and math.isfinite(summary["revenue"])


def test_a_scenario_file_with_its_own_structure_runs_on_the_reference(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(textwrap.dedent("""
        name = "Small firm"
        seed = 4
        [organisation]
        silo_strength = 0.5
        [[interventions]]
        type = "empowerment"
        guidelines = true
        [[interventions]]
        type = "reorganisation"
        start = 3
        departments = ["support"]
        [[structure.segments]]
        name = "everyone"
        share = 1.0
        value_multiplier = 1.0
        expectation = 0.6
    """))
    result = _run_scenario(path)
    assert result.structure.segments[0].name == "everyone"
    assert math.isfinite(result.summary()["csat"])


def test_workforce_phase_matches_the_engine_exactly():
    """Given the same employees, network, levers and loads, the per-agent workforce
    phase produces exactly the engine's array update (no random draws involved)."""
    engine = CXModel(rng=3, base_quit_rate=2.0, **TINY)
    for _ in range(3):
        engine.step()
    reference = ReferenceModel(rng=4, **TINY)
    reference.network = engine.network.copy()
    reference._measure_network()
    reference.coach_draw = engine.coach_draw.copy()
    reference.unit_climate = engine.unit_climate.copy()
    reference.levers = engine.levers
    for position in range(engine.n_employees):
        holder = reference.employee_at(position)
        if not engine.active[position] and holder is not None:
            holder.leave()
        elif engine.active[position] and holder is None:
            reference.hire(position)
    state = ("engagement", "skill", "empowerment", "centricity", "strain", "recognition",
             "habituation", "load", "load_average", "disposition")
    for employee in reference.agents_by_type[EmployeeAgent]:
        for name in state:
            setattr(employee, name, float(getattr(engine, name)[employee.position]))
    assert not engine.active.all(), "the check should include vacant positions"
    reference.day = engine.day
    reference.employee_phase = engine.employee_phase.copy()
    reference.utilisation = engine.utilisation.copy()
    reference.offered = engine.offered.copy()
    reference.take_roll_call()
    update_workforce(engine)  # the engine's workforce phase
    reference._update_workforce()
    active = engine.active
    assert np.array_equal(reference.active, active)
    for name in ("engagement", "skill", "empowerment", "centricity", "strain"):
        np.testing.assert_allclose(getattr(reference, name)[active],
                                   getattr(engine, name)[active], rtol=0, atol=1e-12,
                                   err_msg=name)
    assert reference.today["demand_mean"] == pytest.approx(engine.today["demand_mean"])
    assert reference.digital_skill == pytest.approx(engine._digital_skill)


# --- the interface interventions and the Recorder use -------------------------------------


@pytest.mark.parametrize("implementation", [CXModel, ReferenceModel])
def test_both_models_offer_the_documented_interface(implementation):
    from cxsim.engine.protocol import (
        InterventionTarget,
        MeasuredModel,
        ModelInterface,
        protocol_members,
    )

    model = implementation(rng=3, **TINY)
    model.step()
    for protocol in (InterventionTarget, MeasuredModel, ModelInterface):
        assert isinstance(model, protocol), protocol.__name__
    members = protocol_members(ModelInterface)
    assert {"baseline_levers", "train", "lay_off", "active", "department", "levers",
            "intervention_day", "engagement"} <= members
    missing = [name for name in sorted(members) if not hasattr(model, name)]
    assert not missing, missing
    positions = model.n_employees
    for name in ("department", "level", "active", "hired_today", "coverage_draw",
                 "employee_phase", "engagement", "skill", "strain", "load", "last_trained"):
        assert np.shape(getattr(model, name)) == (positions,), name


def test_engine_and_reference_share_the_baseline_levers():
    from dataclasses import fields

    engine = CXModel(rng=1, silo_strength=0.3, cx_ownership=0.4, **TINY)
    reference = ReferenceModel(rng=1, silo_strength=0.3, cx_ownership=0.4, **TINY)
    a, b = engine.baseline_levers(), reference.baseline_levers()
    for f in fields(a):
        assert np.array_equal(getattr(a, f.name), getattr(b, f.name)), f.name
    support = engine.structure.department_index("support")
    assert (a.ownership[support] == 1.0).all() and (a.ownership[0] == 0.4).all()


@pytest.mark.parametrize("implementation", [CXModel, ReferenceModel])
def test_stepping_past_the_horizon_is_a_clear_error(implementation):
    model = implementation(rng=1, n_employees=40, n_customers=300, burn_in_days=2, days=3)
    model.run()
    with pytest.raises(ParameterError, match="the model is at day 5, its horizon"):
        model.step()
    assert model.day == 5


@pytest.mark.parametrize("implementation", [CXModel, ReferenceModel])
@pytest.mark.parametrize("seed", [-1, "abc", 1.5, True, [1], float("nan")])
def test_a_bad_seed_is_a_clear_error_naming_rng(implementation, seed):
    with pytest.raises(ParameterError, match=r"^rng = .* is not allowed: expected a "
                                             r"whole-number seed >= 0"):
        implementation(rng=seed, **TINY)
