"""CXModel invariants: book-keeping agrees with a recount, metrics stay in range,
agents are views of the arrays."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from conftest import (
    assert_daily_invariants,
    assert_model_invariants,
    intervention_period,
    run_model,
    simulated_days,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from cxsim.core import dynamics as dyn
from cxsim.core.parameters import ParameterError
from cxsim.core.structure import Structure
from cxsim.engine.agents import CUSTOMER_STATES, LEVEL_NAMES, Customer, Employee
from cxsim.engine.interventions import (
    CrossFunctionalCollaboration,
    CXTraining,
    Empowerment,
    Layoffs,
    Recognition,
    Reorganisation,
)
from cxsim.engine.metrics import DAILY_METRICS
from cxsim.engine.model import ACTIVE, CHURNED, FRONTLINE, PROSPECT, CXModel
from cxsim.results import Result

PARAMS = dict(n_employees=120, n_customers=4000, burn_in_days=20, days=60,
              base_quit_rate=0.6, hiring_delay_days=5, prospect_pool_share=0.3,
              acquisition_rate=1.0)


def _interventions():
    return [CXTraining(), Empowerment(), Recognition(), CrossFunctionalCollaboration(start=5),
            Reorganisation(start=30), Layoffs(start=20, intensity=0.1)]


@pytest.fixture(scope="module")
def stepped():
    """A model with turnover, layoffs and network changes, checked every few days."""
    model = CXModel(rng=11, interventions=_interventions(), **PARAMS)
    checks = []
    assert_model_invariants(model)
    while model.running:
        model.step()
        if model.day % 7 == 0 or not model.running:
            assert_model_invariants(model)
            checks.append(model.day)
    return model, Result(model, 11), checks


def test_invariants_hold_throughout_a_run(stepped):
    model, result, checks = stepped
    assert len(checks) >= 10
    assert model.day == PARAMS["burn_in_days"] + PARAMS["days"]
    assert not model.running
    assert result.daily["quits"].sum() > 0 and result.daily["hires"].sum() > 0
    assert model.eliminated.sum() > 0


def test_daily_metrics_in_range_and_consistent(stepped):
    _, result, _ = stepped
    assert_daily_invariants(result.daily)
    assert list(result.daily.columns) == list(DAILY_METRICS)
    assert len(result.daily) == PARAMS["burn_in_days"] + PARAMS["days"] + 1


def test_headcount_follows_quits_hires_and_layoffs(stepped):
    model, result, _ = stepped
    daily = result.daily
    change = np.diff(daily["headcount"].to_numpy())
    flows = (daily["hires"] - daily["quits"]).to_numpy()[1:]
    gaps = change - flows
    # the only day the identity breaks is the layoff, by the number laid off
    assert sorted(gaps[gaps != 0].tolist()) == [-int(model.eliminated.sum())]
    assert daily["headcount"].iloc[-1] == model.active.sum()


def test_customer_stock_exhausts_the_market_gracefully(stepped):
    model, result, _ = stepped
    assert model.prospects_left >= 0
    assert result.daily["acquisitions"].sum() == np.count_nonzero(
        model.c_status != PROSPECT) - PARAMS["n_customers"]


def test_group_frames_add_up_to_the_daily_totals(stepped):
    _, result, _ = stepped
    daily = result.daily.set_index("day")
    deps = result.departments.groupby("day")[["headcount", "quits", "contacts", "responses",
                                              "first_contacts"]].sum()
    tps = result.touchpoints.groupby("day")[["contacts", "responses", "first_contacts",
                                             "problems_opened"]].sum()
    teams = result.teams.groupby("day")[["headcount", "contacts"]].sum()
    for column in ("headcount", "quits", "contacts", "responses", "first_contacts"):
        assert np.allclose(deps[column], daily[column]), column
    for column in ("contacts", "responses", "first_contacts", "problems_opened"):
        assert np.allclose(tps[column], daily[column]), column
    assert np.allclose(teams["headcount"], daily["headcount"])
    assert (teams["contacts"] <= daily["contacts"] + 1e-9).all()  # digital has no team
    caused = result.departments.groupby("day")["pain_points_caused"].sum()
    received = result.departments.groupby("day")["pain_points_received"].sum()
    assert np.allclose(caused, daily["pain_points"])
    assert np.allclose(caused - received, daily["pain_points_missed"])


def test_group_metrics_within_range(stepped):
    _, result, _ = stepped
    for frame in (result.departments, result.touchpoints, result.teams):
        rows = frame[frame["day"] >= 0]
        for column in ("csat", "fcr", "quality_mean"):
            values = rows[column].dropna()
            assert ((values >= 0) & (values <= 1)).all(), column
        nps = rows["nps"].dropna()
        assert ((nps >= -100) & (nps <= 100)).all()


def test_outcome_counts_match_churn_summary(stepped):
    model, result, _ = stepped
    summary = result.summary()
    churned_total = sum(summary[f"churned_after_{o}"] for o in
                        ("no_problem", "resolved_first", "resolved_repeat", "unresolved"))
    assert churned_total == result.daily["churned"].sum()
    assert summary["churned"] == intervention_period(result)["churned"].sum()
    assert summary["active_customers"] == model.active_customers


# --- agents ---------------------------------------------------------------------------


def test_customer_views_match_the_arrays(stepped):
    model, _, _ = stepped
    rows = {
        "active": int(np.flatnonzero(model.c_status == ACTIVE)[0]),
        "churned": int(np.flatnonzero(model.c_status == CHURNED)[0]),
    }
    prospects = np.flatnonzero(model.c_status == PROSPECT)
    if prospects.size:
        rows["prospect"] = int(prospects[0])
    for state, row in rows.items():
        c = model.customer(row)
        assert isinstance(c, Customer) and isinstance(c, mesa.Agent)
        assert c.state == state and state in CUSTOMER_STATES
        assert c.satisfaction == model.c_satisfaction[row]
        assert c.loyalty == model.c_loyalty[row]
        assert c.expectation == model.c_expectation[row]
        assert c.segment == model.structure.segments[model.c_segment[row]].name
        assert c.spend_per_year == pytest.approx(model.c_spend_rate[row] * 365)
        assert c.has_open_problem == bool(model.c_problem_open[row])
        assert c.tenure == (0 if state == "prospect"
                            else model.day - model.c_start_day[row])
        assert model.customer(row) is c
        assert repr(c).startswith("Customer(")
    active = model.customer(rows["active"])
    assert active.spend_per_year > 0 and active.tenure >= 0


def test_customer_setters_write_their_row():
    model = CXModel(n_employees=60, n_customers=500, rng=2)
    c = model.customer(3)
    c.satisfaction = 0.123
    c.loyalty = 0.456
    assert model.c_satisfaction[3] == 0.123 and model.c_loyalty[3] == 0.456
    assert model.c_satisfaction[4] != 0.123


def test_customer_out_of_range_raises():
    model = CXModel(n_employees=60, n_customers=500, rng=2)
    with pytest.raises(IndexError):
        model.customer(model.n_customer_rows)
    with pytest.raises(IndexError):
        model.customer(-1)


def test_employee_properties_read_and_write_their_row(stepped):
    model, _, _ = stepped
    agents = list(model.agents_by_type[Employee])
    for agent in agents[:: max(len(agents) // 15, 1)]:
        r = agent.row
        assert agent.engagement == model.engagement[r]
        assert agent.skill == model.skill[r]
        assert agent.empowerment == model.empowerment[r]
        assert agent.customer_centricity == model.centricity[r]
        assert agent.strain == model.strain[r]
        assert agent.tenure == model.tenure[r] and isinstance(agent.tenure, int)
        assert agent.training_hours == model.training_hours[r]
        assert agent.department == model.structure.department_names[model.department[r]]
        assert agent.level == LEVEL_NAMES[model.level[r]]
        assert agent.engaged == (model.engagement[r] >= model.p.engaged_threshold)
        boss = agent.manager
        if model.boss[r] == r:
            assert boss is None
        elif boss is not None:
            assert boss.row == model.boss[r]
        else:
            assert not model.active[model.boss[r]]
        for n in agent.neighbours:
            assert model.active[n.row] and model.network.has_edge(r, n.row)
        assert repr(agent).startswith("Employee(")


def test_employee_setters_write_their_row():
    model = CXModel(n_employees=60, n_customers=500, rng=2)
    agent = model.employee_at(10)
    agent.engagement = 0.99
    agent.skill = 0.01
    agent.strain = 0.5
    assert model.engagement[10] == 0.99 and model.skill[10] == 0.01 and model.strain[10] == 0.5
    assert model.engagement[11] != 0.99


def test_frontline_report_to_a_manager_of_their_department():
    model = CXModel(n_employees=150, n_customers=500, rng=2)
    frontline = np.flatnonzero(model.level == FRONTLINE)
    for r in frontline:
        boss = model.employee_at(r).manager
        assert boss.level == "manager" and boss.department == model.employee_at(r).department
    chief = [a for a in model.agents_by_type[Employee] if a.manager is None]
    assert len(chief) == 1 and chief[0].level == "executive"


def test_quit_rate_zero_means_no_turnover():
    result = run_model(3, [], n_employees=60, n_customers=1000, burn_in_days=5, days=30,
                       base_quit_rate=0.0)
    assert result.daily["quits"].sum() == 0 and result.daily["hires"].sum() == 0
    assert (result.daily["headcount"] == 60).all()


def test_no_problems_without_defects():
    result = run_model(3, [], n_employees=60, n_customers=1500, burn_in_days=5, days=30,
                       defect_rate=0.0, defect_floor=0.0)
    daily = result.daily
    assert daily["problems_opened"].sum() == 0 and daily["problem_contacts"].sum() == 0
    assert daily["fcr"].iloc[1:].isna().all()
    assert daily["contacts"].sum() > 0


def test_every_contact_answered_at_full_response_rate():
    result = run_model(3, [], n_employees=60, n_customers=1500, burn_in_days=5, days=10,
                       response_rate=1.0)
    daily = simulated_days(result.daily)
    assert (daily["responses"] == daily["contacts"]).all()


def test_one_contact_problems_are_resolved_or_abandoned_at_once():
    result = run_model(3, [], n_employees=60, n_customers=3000, burn_in_days=5, days=30,
                       max_contacts=1)
    daily = result.daily
    assert daily["resolved_repeat"].sum() == 0
    assert (daily["resolved_first"] + daily["unresolved"] == daily["first_contacts"]).all()


# --- structure ---------------------------------------------------------------------------

SMALL_STRUCTURE = {
    "departments": [{"name": "executive", "share": 0.1}, {"name": "support", "share": 0.5},
                    {"name": "delivery", "share": 0.4}],
    "touchpoints": [
        {"name": "buy", "owner": "delivery", "stage": "acquisition"},
        {"name": "welcome", "owner": "support", "stage": "onboarding", "weight": 1.0},
        {"name": "deliver", "owner": "delivery", "stage": "routine", "weight": 1.0,
         "defect_multiplier": 1.0},
        {"name": "help", "owner": "support", "stage": "support"},
        {"name": "renew", "owner": "support", "stage": "renewal"},
    ],
    "segments": [{"name": "all", "share": 1.0, "value_multiplier": 1.0, "expectation": 0.6}],
}


def test_a_custom_structure_runs_and_keeps_invariants():
    model = CXModel(n_employees=40, n_customers=1500, burn_in_days=5, days=30, rng=4,
                    structure=SMALL_STRUCTURE, interventions=[CXTraining()])
    model.run()
    assert_model_invariants(model)
    result = Result(model, 4)
    assert_daily_invariants(result.daily)
    assert set(result.departments["department"]) == {"executive", "support", "delivery"}
    assert set(result.touchpoints["touchpoint"]) == {"buy", "welcome", "deliver", "help",
                                                     "renew"}
    assert result.daily["contacts"].sum() > 0


@pytest.mark.parametrize("change, field", [
    ({"departments": [{"name": "support", "share": 0.5}]}, "departments"),
    ({"departments": [{"name": "executive", "share": 0.5}, {"name": "support", "share": 0}]},
     "departments.support.share"),
    ({"touchpoints": [{"name": "x", "owner": "nobody", "stage": "routine"}]},
     "touchpoints.x.owner"),
    ({"segments": [{"name": "s", "share": 1.0, "value_multiplier": 1.0, "expectation": 2}]},
     "segments.s.expectation"),
    ({"departments": [{"name": "executive", "share": 0.5, "colour": "red"}]},
     "departments.executive"),
    ({"branches": []}, "structure"),
])
def test_structure_errors_name_the_field(change, field):
    with pytest.raises(ParameterError) as info:
        Structure.from_dict(change)
    assert field in str(info.value)


@pytest.mark.parametrize("table, index, field, value", [
    ("departments", 1, "share", "lots"),
    ("departments", 1, "share", float("nan")),
    ("touchpoints", 3, "weight", "heavy"),
    ("touchpoints", 3, "defect_multiplier", -1.0),
    ("segments", 0, "expectation", "high"),
    ("segments", 0, "value_multiplier", True),
])
def test_structure_wrongly_typed_values_are_parameter_errors(table, index, field, value):
    # regression: these used to raise TypeError from a comparison (a CLI traceback)
    tables = Structure().to_dict()
    tables[table][index][field] = value
    name = tables[table][index]["name"]
    with pytest.raises(ParameterError) as info:
        Structure.from_dict({table: tables[table]})
    assert f"{table}.{name}.{field}" in str(info.value)


def test_structure_duplicate_touchpoint_names_are_rejected():
    tables = Structure().to_dict()
    tables["touchpoints"][4]["name"] = tables["touchpoints"][3]["name"]
    with pytest.raises(ParameterError) as info:
        Structure.from_dict({"touchpoints": tables["touchpoints"]})
    assert "touchpoints" in str(info.value) and "unique" in str(info.value)


def test_structure_round_trips():
    structure = Structure.from_dict(SMALL_STRUCTURE)
    assert Structure.from_dict(structure.to_dict()) == structure
    assert Structure.from_dict(Structure().to_dict()) == Structure()


def test_root_cause_fixes_never_raise_a_defect_rate():
    # regression: the floor was not scaled by the touchpoint's multiplier, so touchpoints
    # starting below service.defect_floor got more defects as pain points were fixed
    result = run_model(1, [], n_employees=60, n_customers=3000, burn_in_days=0, days=60,
                       defect_rate=0.08, defect_floor=0.06, root_cause_fix_rate=0.05)
    model = result.model
    start = model.p.defect_rate * model.tp_defect_multiplier
    assert np.all(model.defect_rate <= start + 1e-12)


def test_promoter_threshold_is_consistent_with_dynamics(stepped):
    model, _, _ = stepped
    active = model.c_status == ACTIVE
    share = (model.c_satisfaction[active] >= dyn.PROMOTER_SATISFACTION).mean()
    assert share == pytest.approx(model.promoters / model.active_customers)


def test_fork_after_warm_up_is_bit_identical_to_a_run_from_scratch():
    """Baseline and scenario share their warm-up: forking at its end gives exactly the
    run built with the interventions from the start (same seed)."""
    import pickle

    from cxsim.engine.interventions import CrossFunctionalCollaboration, CXTraining

    size = dict(n_employees=120, n_customers=3000, burn_in_days=20, days=25)
    ivs = [CXTraining(start=0, ramp_days=5), CrossFunctionalCollaboration(start=3)]
    scratch = CXModel(interventions=ivs, rng=11, **size).run()
    parent = CXModel(rng=11, **size).run_warm_up()
    forked = parent.fork(ivs).run()
    frame_a = scratch.datacollector.get_model_vars_dataframe()
    frame_b = forked.datacollector.get_model_vars_dataframe()
    assert frame_a.equals(frame_b)
    for name in ("engagement", "skill", "c_satisfaction", "c_status", "defect_rate"):
        assert np.array_equal(getattr(scratch, name), getattr(forked, name)), name
    baseline = parent.fork().run()  # the parent itself is untouched by its forks
    assert not frame_a.equals(baseline.datacollector.get_model_vars_dataframe())
    assert pickle.loads(pickle.dumps(forked)).day == forked.day


def test_fork_past_the_warm_up_is_refused():
    model = CXModel(n_employees=60, n_customers=500, burn_in_days=3, days=5, rng=1).run()
    with pytest.raises(ParameterError, match="fork on day 8 is not allowed"):
        model.fork()


def test_numpy_integer_seed_is_the_same_seed():
    size = dict(n_employees=60, n_customers=800, burn_in_days=3, days=4)
    a = CXModel(rng=np.int64(5), **size).run()
    b = CXModel(rng=5, **size).run()
    assert a.seed == b.seed == 5 and type(a.seed) is int
    assert a.datacollector.get_model_vars_dataframe().equals(
        b.datacollector.get_model_vars_dataframe())


def test_an_unseeded_model_records_the_seed_it_drew():
    size = dict(n_employees=60, n_customers=800, burn_in_days=3, days=4)
    first = CXModel(**size).run()
    again = CXModel(rng=first.seed, **size).run()
    assert isinstance(first.seed, int) and first.seed >= 0
    assert first.datacollector.get_model_vars_dataframe().equals(
        again.datacollector.get_model_vars_dataframe())


@settings(max_examples=25)
@given(st.one_of(st.integers(max_value=-1), st.floats(), st.text(), st.booleans(),
                 st.lists(st.integers(0, 3), max_size=2), st.none().map(lambda _: {})))
def test_any_bad_seed_is_refused_with_a_one_line_error(seed):
    with pytest.raises(ParameterError) as info:
        CXModel(rng=seed, n_employees=40, n_customers=200, burn_in_days=1, days=1)
    assert str(info.value).startswith("rng = ") and "\n" not in str(info.value)
