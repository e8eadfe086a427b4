"""cxsim.interventions: construction, validation, adoption, and what each lever moves.

Effects are checked against the same seeds without the intervention (common random
numbers), averaged over three seeds, with margins well inside the observed effects.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import intervention_period, run_model
from hypothesis import given
from hypothesis import strategies as st

from cxsim.core.parameters import ParameterError
from cxsim.engine.interventions import (
    INTERVENTIONS,
    LEVELS,
    AccountabilityPartnerships,
    BudgetCut,
    ClearGuidelines,
    CrossFunctionalCollaboration,
    CXTraining,
    Empowerment,
    HireForCXValues,
    IntegratedCRM,
    Intervention,
    Layoffs,
    LeadershipCommitment,
    ManagerCoaching,
    Recognition,
    Reorganisation,
    SharedMetrics,
    VoiceOfCustomerLoop,
    from_dict,
)
from cxsim.engine.model import CXModel

# --- construction and validation --------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(INTERVENTIONS))
def test_from_dict_builds_every_kind_and_round_trips(kind):
    iv = from_dict({"type": kind})
    assert type(iv) is INTERVENTIONS[kind]
    assert iv.kind == kind
    spec = iv.to_dict()
    assert spec["type"] == kind
    assert from_dict(spec) == iv


def test_every_kind_is_registered_once():
    classes = list(INTERVENTIONS.values())
    assert len(set(classes)) == len(classes)
    assert all(issubclass(c, Intervention) and INTERVENTIONS[c.kind] is c for c in classes)


def test_from_dict_converts_scenario_file_values():
    iv = from_dict({"type": "training", "levels": "frontline", "departments": ["support"],
                    "start": 10.0, "refresh_days": 30.0, "hours": 4, "duration": 50.0})
    assert iv.levels == ("frontline",) and iv.departments == ("support",)
    assert iv.start == 10 and type(iv.start) is int
    assert iv.refresh_days == 30 and type(iv.refresh_days) is int
    assert iv.duration == 50 and type(iv.duration) is int
    assert iv.hours == 4


def test_unknown_type_names_the_type_and_lists_kinds():
    with pytest.raises(ParameterError) as info:
        from_dict({"type": "trainnig"})
    message = str(info.value)
    assert "'trainnig'" in message and "interventions.type" in message
    assert all(kind in message for kind in INTERVENTIONS)
    with pytest.raises(ParameterError):
        from_dict({"start": 3})  # no type at all


@pytest.mark.parametrize("kind", [["training"], {"a": 1}, 3, None])
def test_non_string_type_is_a_parameter_error(kind):
    # regression: an unhashable type raised TypeError (a traceback from the CLI)
    with pytest.raises(ParameterError) as info:
        from_dict({"type": kind})
    assert "interventions.type" in str(info.value) and repr(kind) in str(info.value)


def test_unknown_field_names_the_field_and_lists_fields():
    with pytest.raises(ParameterError) as info:
        from_dict({"type": "training", "hourz": 8})
    message = str(info.value)
    assert "interventions.training.hourz" in message
    assert "hours" in message and "refresh_days" in message


@pytest.mark.parametrize("spec, field, shown", [
    ({"type": "training", "intensity": 1.5}, "intensity", "1.5"),
    ({"type": "empowerment", "intensity": -0.2}, "intensity", "-0.2"),
    ({"type": "recognition", "intensity": float("nan")}, "intensity", "nan"),
    ({"type": "training", "intensity": True}, "intensity", "True"),
    ({"type": "training", "coverage": 2}, "coverage", "2"),
    ({"type": "training", "hours": 0}, "hours", "0"),
    ({"type": "training", "refresh_days": 0}, "refresh_days", "0"),
    ({"type": "training", "start": -1}, "start", "-1"),
    ({"type": "training", "start": 2.5}, "start", "2.5"),
    ({"type": "leadership_commitment", "ramp_days": -3}, "ramp_days", "-3"),
    ({"type": "crm", "duration": 0}, "duration", "0"),
    ({"type": "crm", "automation": 1.2}, "automation", "1.2"),
    ({"type": "recognition", "boost": 3}, "boost", "3"),
    ({"type": "recognition", "interval_days": 0}, "interval_days", "0"),
    ({"type": "collaboration", "added_ties": 100}, "added_ties", "100"),
    ({"type": "empowerment", "guidelines": "yes"}, "guidelines", "yes"),
    ({"type": "training", "levels": ["frontline", "intern"]}, "levels", "intern"),
    ({"type": "training", "departments": 5}, "departments", "5"),
    ({"type": "voc_loop", "fixed_cost": "cheap"}, "fixed_cost", "cheap"),
    ({"type": "voc_loop", "fixed_cost": -100.0}, "fixed_cost", "-100"),
    ({"type": "layoffs", "severance_months": float("inf")}, "severance_months", "inf"),
])
def test_bad_field_values_name_kind_field_and_value(spec, field, shown):
    with pytest.raises(ParameterError) as info:
        from_dict(spec)
    message = str(info.value)
    assert f"interventions.{spec['type']}.{field}" in message
    assert shown in message
    assert "expected" in message


@pytest.mark.parametrize("kind, field", [("training", "start"), ("training", "ramp_days"),
                                         ("training", "duration"), ("training", "refresh_days"),
                                         ("recognition", "interval_days")])
def test_booleans_are_not_integer_days(kind, field):
    # regression: `start = true` in a scenario file used to mean day 1
    with pytest.raises(ParameterError) as info:
        from_dict({"type": kind, field: True})
    assert f"interventions.{kind}.{field}" in str(info.value)


def test_bad_department_is_reported_when_the_model_is_built():
    iv = CXTraining(departments=("suport",))  # fine until resolved against a structure
    with pytest.raises(ParameterError) as info:
        CXModel(n_employees=60, n_customers=500, rng=1, interventions=[iv])
    message = str(info.value)
    assert "interventions.training.departments" in message and "'suport'" in message
    assert "support" in message.replace("'suport'", "")


def test_interventions_accept_scenario_tables_in_the_model():
    model = CXModel(n_employees=60, n_customers=500, rng=1,
                    interventions=[{"type": "training", "levels": ["frontline"]}])
    assert isinstance(model.interventions[0], CXTraining)
    with pytest.raises(ParameterError):
        CXModel(n_employees=60, n_customers=500, rng=1,
                interventions=[{"type": "training", "hourz": 1}])


# --- adoption -----------------------------------------------------------------------------


def test_adoption_ramps_from_zero_to_one():
    iv = LeadershipCommitment(start=10, ramp_days=40)
    before = [iv.adoption(d) for d in range(-5, 10)]
    ramp = [iv.adoption(d) for d in range(10, 51)]
    after = [iv.adoption(d) for d in range(50, 400, 7)]
    assert all(a == 0.0 for a in before)
    assert ramp[0] == 0.0 and ramp[-1] == pytest.approx(1.0)
    assert np.all(np.diff(ramp) > 0)
    assert all(a == pytest.approx(1.0) for a in after)


def test_adoption_is_zero_after_duration():
    iv = Empowerment(start=5, ramp_days=10, duration=30)
    assert iv.adoption(20) == pytest.approx(1.0)
    assert iv.adoption(34) > 0
    assert all(iv.adoption(d) == 0.0 for d in range(35, 100))


def test_adoption_without_ramp_is_immediate():
    iv = CXTraining(start=3, ramp_days=0)
    assert iv.adoption(2) == 0.0 and iv.adoption(3) == 1.0 and iv.adoption(300) == 1.0


@given(start=st.integers(0, 200), ramp=st.integers(0, 200),
       duration=st.one_of(st.none(), st.integers(1, 300)))
def test_adoption_property(start, ramp, duration):
    iv = Recognition(start=start, ramp_days=ramp, duration=duration)
    days = np.arange(-10, start + ramp + (duration or 0) + 20)
    adoption = np.array([iv.adoption(int(d)) for d in days])
    assert np.all((adoption >= 0) & (adoption <= 1))
    assert np.all(adoption[days < start] == 0)
    end = start + duration if duration is not None else np.inf
    assert np.all(adoption[days >= end] == 0)
    active = (days >= start) & (days < end)
    assert np.all(np.diff(adoption[active]) >= 0)
    full = active & (days >= start + ramp)
    assert np.allclose(adoption[full], 1.0)


# --- effects in a model run -------------------------------------------------------------------

SEEDS = (0, 1, 2)
RUN = dict(n_employees=100, n_customers=4000, burn_in_days=20, days=80)
#: Many quits and quick hiring, so that hires are numerous.
HIGH_TURNOVER = dict(base_quit_rate=1.5, hiring_delay_days=3)

CASES = {
    "baseline": (lambda: [], {}),
    "leadership": (lambda: [LeadershipCommitment(ramp_days=20)], {}),
    "training": (lambda: [CXTraining()], {}),
    "empowerment": (lambda: [Empowerment()], {}),
    "empowerment_guidelines": (lambda: [Empowerment(guidelines=True)], {}),
    "guidelines": (lambda: [ClearGuidelines()], {}),
    "collaboration": (lambda: [CrossFunctionalCollaboration()], {}),
    "shared_metrics": (lambda: [SharedMetrics(ramp_days=20)], {}),
    "crm": (lambda: [IntegratedCRM(ramp_days=30)], {}),
    "recognition": (lambda: [Recognition()], {}),
    "voc_loop": (lambda: [VoiceOfCustomerLoop()], {}),
    "coaching": (lambda: [ManagerCoaching(ramp_days=20)], {}),
    "accountability": (lambda: [AccountabilityPartnerships()], {}),
    "budget_cut": (lambda: [BudgetCut(intensity=0.6)], {}),
    "training_budget_cut": (lambda: [CXTraining(), BudgetCut(intensity=0.6)], {}),
    "budget_cut_training": (lambda: [BudgetCut(intensity=0.6), CXTraining()], {}),
    "layoffs": (lambda: [Layoffs(start=10, intensity=0.2)], {}),
    "reorganisation": (lambda: [Reorganisation(intensity=0.8)], {}),
    "baseline_high_turnover": (lambda: [], HIGH_TURNOVER),
    "hiring": (lambda: [HireForCXValues(ramp_days=0)], HIGH_TURNOVER),
}


@pytest.fixture(scope="module")
def runs():
    cache: dict[str, list] = {}

    def get(name: str):
        if name not in cache:
            factory, extra = CASES[name]
            cache[name] = [run_model(s, factory(), **{**RUN, **extra}) for s in SEEDS]
        return cache[name]

    return get


def window(result, column: str, start: int = 40, end: int = 10**9) -> float:
    daily = result.daily
    rows = daily[(daily["intervention_day"] > start) & (daily["intervention_day"] <= end)]
    return float(rows[column].mean())


def final(result, column: str) -> float:
    return float(result.daily[column].iloc[-1])


def missed_pain_share(result) -> float:
    d = intervention_period(result)
    return float(d["pain_points_missed"].sum() / d["pain_points"].sum())


def digital_share(result) -> float:
    """Share of contacts in the intervention period served without an employee."""
    days = intervention_period(result)["day"]
    teams = result.teams[result.teams["day"].isin(days)]
    staffed = float(teams["contacts"].sum())
    total = float(intervention_period(result)["contacts"].sum())
    return 1.0 - staffed / total


def effect(runs, name: str, measure, base: str = "baseline") -> float:
    """Mean over seeds of measure(with) - measure(without), common seeds."""
    treated, control = runs(name), runs(base)
    return float(np.mean([measure(t) - measure(c) for t, c in zip(treated, control)]))


def test_training_raises_skill_and_completion(runs):
    assert effect(runs, "training", lambda r: window(r, "skill_mean")) > 0.02
    # the baseline has the routine training only (two sessions a year); the programme
    # reaches more people more often
    for trained, base in zip(runs("training"), runs("baseline")):
        assert final(trained, "training_completion") > final(base, "training_completion") + 0.2
        assert trained.model.training_hours.sum() > base.model.training_hours.sum()


def test_without_routine_training_nobody_is_trained():
    result = run_model(2, [], n_employees=60, n_customers=1000, burn_in_days=0, days=200,
                       routine_training_hours=0.0)
    assert final(result, "training_completion") == 0.0
    assert result.model.training_hours.sum() == 0.0


def test_routine_training_holds_skill_against_decay():
    """With no contacts to learn from (no customers reach staff: everything digital),
    skill decays to the floor without routine training and stays higher with it."""
    def skill(hours: float) -> float:
        result = run_model(5, [], n_employees=60, n_customers=100, burn_in_days=0, days=730,
                           routine_training_hours=hours)
        return float(result.daily["skill_mean"].iloc[-90:].mean())
    assert skill(16.0) > skill(0.0) + 0.05


def test_empowerment_raises_empowerment(runs):
    assert effect(runs, "empowerment", lambda r: window(r, "empowerment_mean")) > 0.08


def test_guidelines_make_experiences_more_consistent(runs):
    assert effect(runs, "guidelines", lambda r: window(r, "quality_std")) < -0.004
    # empowerment without guidelines is less consistent than with them
    assert effect(runs, "empowerment_guidelines", lambda r: window(r, "quality_std"),
                  base="empowerment") < -0.01


def test_collaboration_adds_cross_ties_and_lowers_silos(runs):
    assert effect(runs, "collaboration", lambda r: final(r, "network_ties")) > 50
    assert effect(runs, "collaboration", lambda r: final(r, "silo_effective")) < -0.08
    assert effect(runs, "collaboration", missed_pain_share) < -0.05


def test_reorganisation_cuts_ties_and_raises_silos(runs):
    assert effect(runs, "reorganisation", lambda r: final(r, "network_ties")) < -30
    assert effect(runs, "reorganisation", lambda r: final(r, "silo_effective")) > 0.1
    # change fatigue: engagement dips while the reorganisation is absorbed
    assert effect(runs, "reorganisation", lambda r: window(r, "engagement_mean", 20, 80)) < 0


def test_accountability_adds_ties_and_ownership(runs):
    assert effect(runs, "accountability", lambda r: final(r, "network_ties")) > 10
    assert effect(runs, "accountability", lambda r: window(r, "centricity_mean")) > 0.005


def test_leadership_commitment_raises_customer_centricity(runs):
    assert effect(runs, "leadership", lambda r: window(r, "centricity_mean")) > 0.02


def test_coaching_raises_centricity_and_engagement(runs):
    assert effect(runs, "coaching", lambda r: window(r, "centricity_mean")) > 0.008
    assert effect(runs, "coaching", lambda r: window(r, "engagement_mean")) > 0.015


def test_shared_metrics_raise_centricity_and_carry_pain_points(runs):
    assert effect(runs, "shared_metrics", lambda r: window(r, "centricity_mean")) > 0.01
    assert effect(runs, "shared_metrics", missed_pain_share) < -0.05


def test_voc_loop_carries_pain_points_to_their_causes(runs):
    assert effect(runs, "voc_loop", missed_pain_share) < -0.08


def test_crm_automates_contacts_and_raises_quality(runs):
    assert effect(runs, "crm", digital_share) > 0.005
    assert effect(runs, "crm", lambda r: window(r, "quality_mean")) > 0.015


def test_recognition_raises_engagement_soon_after(runs):
    assert effect(runs, "recognition", lambda r: window(r, "engagement_mean", 10, 40)) > 0.004


def test_hiring_for_cx_values_brings_more_customer_centric_hires(runs):
    def hires_centricity(result):
        model = result.model
        recent = model.active & (model.tenure < RUN["days"] - 5)
        assert recent.sum() >= 5
        return float(model.centricity[recent].mean())

    assert effect(runs, "hiring", hires_centricity, base="baseline_high_turnover") > 0.08


def test_budget_cut_saves_money_and_raises_job_demand(runs):
    for result in runs("budget_cut"):
        assert result.daily["intervention_cost"].sum() < 0
        assert result.summary()["intervention_cost"] < 0
    # the same contacts fall on less capacity
    assert effect(runs, "budget_cut", lambda r: window(r, "demand_mean")) > 0.015


def test_budget_cut_weakens_training(runs):
    assert effect(runs, "budget_cut_training", lambda r: window(r, "skill_mean"),
                  base="training") < -0.01


def test_budget_cut_weakens_training_listed_before_it(runs):
    # regression: training listed before the cut used to train at full effect
    assert effect(runs, "training_budget_cut", lambda r: window(r, "skill_mean"),
                  base="training") < -0.01


def test_order_of_interventions_does_not_matter(runs):
    for a, b in zip(runs("training_budget_cut"), runs("budget_cut_training")):
        pd.testing.assert_frame_equal(a.daily, b.daily)


def test_layoffs_reduce_headcount_permanently(runs):
    for result, base in zip(runs("layoffs"), runs("baseline")):
        model, daily = result.model, result.daily
        laid_off = int(model.eliminated.sum())
        assert abs(laid_off - 0.2 * RUN["n_employees"]) <= 2
        assert not model.active[model.eliminated].any()
        after = daily[daily["intervention_day"] > 12]
        assert after["headcount"].max() <= RUN["n_employees"] - laid_off
        assert final(result, "headcount") < final(base, "headcount") - laid_off / 2
        assert model.employee_at(int(np.flatnonzero(model.eliminated)[0])) is None


def test_layoffs_cost_their_severance_and_save_salaries_once():
    """The intervention cost is the severance; the salaries saved show once, in the
    comparison's staff cost difference (not also as a negative intervention cost)."""
    from cxsim.experiments.comparisons import compare
    from cxsim.experiments.scenarios import Scenario

    size = {"organisation": {"n_employees": 60}, "customers": {"n_customers": 1500},
            "run": {"burn_in_days": 5, "days": 120}}
    layoffs = {"type": "layoffs", "start": 0, "intensity": 0.2, "severance_months": 1.0}
    result = compare(Scenario.from_dict({"name": "base", **size}),
                     [Scenario.from_dict({"name": "cut", **size, "interventions": [layoffs]})],
                     replicates=2, workers=1, seed=5, series=False)
    economics = result.economics_runs
    cut = economics[economics["scenario"] == "cut"].pivot(
        index="replicate", columns="quantity", values="value")
    salary = result.config.salary_per_employee
    run = run_model(5, [Layoffs(start=0, intensity=0.2, severance_months=1.0)],
                    n_employees=60, n_customers=1500, burn_in_days=5, days=120)
    laid_off = int(run.model.eliminated.sum())
    assert laid_off > 0
    assert run.daily["intervention_cost"].sum() == pytest.approx(laid_off * salary / 12)
    assert (cut["intervention_cost"] > 0).all()
    assert (cut["staff_cost_difference"] < -cut["intervention_cost"]).all()


COSTLY = ["leadership", "training", "empowerment", "guidelines", "collaboration",
          "shared_metrics", "crm", "recognition", "voc_loop", "coaching", "accountability",
          "reorganisation"]


@pytest.mark.parametrize("name", COSTLY)
def test_costly_interventions_cost_money(runs, name):
    for result in runs(name):
        assert result.daily["intervention_cost"].sum() > 0
        assert result.summary()["intervention_cost"] > 0
    for result in runs("baseline"):
        assert result.daily["intervention_cost"].sum() == 0


def test_hiring_costs_extra_per_hire(runs):
    for result in runs("hiring"):
        assert result.daily["hires"].sum() > 0
        assert result.daily["intervention_cost"].sum() > 0


def test_running_cost_follows_the_documented_formula():
    # no quits, so the targeted head-count is constant: fixed cost + per-employee-year cost
    days = 30
    iv = ClearGuidelines(fixed_cost=1000.0, cost_per_employee_year=365.0, ramp_days=0,
                         departments=("support",))
    result = run_model(2, [iv], n_employees=80, n_customers=1000, burn_in_days=5, days=days,
                       base_quit_rate=0.0)
    model = result.model
    support = int((model.department == model.structure.department_index("support")).sum())
    assert result.daily["intervention_cost"].sum() == pytest.approx(1000.0 + support * days)


def test_costs_start_on_the_start_day():
    result = run_model(2, [LeadershipCommitment(start=15)], n_employees=60, n_customers=1000,
                       burn_in_days=5, days=40)
    daily = result.daily
    paying = daily[daily["intervention_cost"] > 0]["intervention_day"]
    assert paying.min() == 15  # the fixed cost falls on the start day
    assert (paying.diff().dropna() == 1).all() and paying.max() == 39


def test_running_costs_stop_when_the_intervention_ends():
    iv = Empowerment(start=3, ramp_days=0, duration=20, cost_per_employee_year=365.0)
    result = run_model(2, [iv], n_employees=60, n_customers=1000, burn_in_days=5, days=40,
                       base_quit_rate=0.0)
    paying = result.daily[result.daily["intervention_cost"] > 0]["intervention_day"]
    assert paying.tolist() == list(range(3, 23))
    assert result.daily["intervention_cost"].sum() == pytest.approx(60 * 20)


def test_reorganisation_cuts_only_ties_touching_its_targets():
    model = CXModel(n_employees=120, n_customers=1000, burn_in_days=0, days=3, rng=6,
                    silo_strength=0.3,
                    interventions=[Reorganisation(departments=("support",), intensity=1.0)])

    def cross_ties():
        dept = model.department
        support = model.structure.department_index("support")
        ties = [(u, v) for u, v, k in model.network.edges(data="kind")
                if k == "informal" and dept[u] != dept[v]]
        touching = {e for e in ties if support in (dept[e[0]], dept[e[1]])}
        return touching, set(ties) - touching

    touching_before, others_before = cross_ties()
    model.run()
    touching_after, others_after = cross_ties()
    assert touching_before and not touching_after
    assert others_after == others_before


def test_laid_off_staff_stop_serving_the_same_day():
    model = CXModel(n_employees=100, n_customers=4000, burn_in_days=2, days=5, rng=8,
                    base_quit_rate=0.0, interventions=[Layoffs(start=0, intensity=0.5)])
    while model.intervention_day < 0:
        model.step()
    model.step()  # the layoff day
    assert model.eliminated.sum() > 0
    assert model.load[model.eliminated].sum() == 0


def test_targets_restrict_who_is_trained():
    iv = CXTraining(departments=("support",), levels=("frontline",), coverage=1.0,
                    refresh_days=10)
    result = run_model(3, [iv], n_employees=100, n_customers=1500, burn_in_days=5, days=30,
                       base_quit_rate=0.0, routine_training_hours=0.0)
    model = result.model
    support = model.department == model.structure.department_index("support")
    frontline = model.level == LEVELS.index("frontline")
    target = support & frontline
    assert (model.training_hours[target] > 0).all()
    assert (model.training_hours[~target] == 0).all()
    last = result.departments[result.departments["day"] == result.daily["day"].max()]
    completion = last.set_index("department")["training_completion"]
    assert completion["support"] > 0
    assert (completion.drop("support") == 0).all()


def test_empowerment_targets_only_the_chosen_department_and_fades_after_duration():
    iv = Empowerment(departments=("operations",), levels=("frontline",), ramp_days=0,
                     duration=30)
    result = run_model(4, [iv], n_employees=100, n_customers=1500, burn_in_days=5, days=90)
    deps = result.departments
    ops = deps[deps["department"] == "operations"].set_index("intervention_day")
    sales = deps[deps["department"] == "sales"].set_index("intervention_day")
    assert ops.loc[30, "empowerment_mean"] > ops.loc[0, "empowerment_mean"] + 0.1
    assert ops["empowerment_mean"].iloc[-1] < ops.loc[30, "empowerment_mean"] - 0.05
    assert sales.loc[30, "empowerment_mean"] == pytest.approx(sales.loc[0, "empowerment_mean"],
                                                              abs=0.02)


# --- no state leaks between models ----------------------------------------------------------


def test_intervention_objects_are_not_shared_between_models():
    ivs = [CrossFunctionalCollaboration(ramp_days=10), CXTraining(), Layoffs(start=5)]
    snapshot = [dataclasses.asdict(iv) for iv in ivs]
    params = dict(n_employees=80, n_customers=1500, burn_in_days=5, days=25)
    first = run_model(7, ivs, **params)
    second = run_model(7, ivs, **params)
    fresh = run_model(7, [CrossFunctionalCollaboration(ramp_days=10), CXTraining(),
                          Layoffs(start=5)], **params)
    assert [dataclasses.asdict(iv) for iv in ivs] == snapshot
    assert all(not hasattr(iv, "_ties_added") and not hasattr(iv, "target_mask") for iv in ivs)
    assert all(a is not b for a, b in zip(first.model.interventions, ivs))
    pd.testing.assert_frame_equal(first.daily, second.daily)
    pd.testing.assert_frame_equal(second.daily, fresh.daily)
    assert second.daily["network_ties"].iloc[-1] > second.daily["network_ties"].iloc[0]


def test_event_day_matches_the_daily_intervention_day_label():
    # regression: the layoff used to show in the row labelled start + 1
    result = run_model(1, [Layoffs(start=5, intensity=0.5)], n_employees=60,
                       n_customers=1000, burn_in_days=5, days=15, base_quit_rate=0.0)
    daily = result.daily.set_index("intervention_day")
    first_drop = daily.index[daily["headcount"] < 60].min()
    assert first_drop == 5


def test_a_single_department_or_level_name_is_a_one_name_list():
    from cxsim.engine.interventions import CXTraining

    training = CXTraining(departments="support", levels="frontline")
    assert training.departments == ("support",) and training.levels == ("frontline",)


# --- fuzzing the fields of every intervention ---------------------------------------------

_JUNK = st.one_of(
    st.integers(), st.sampled_from([10**400, -(10**400), 1e308, float("nan"), float("inf")]),
    st.floats(), st.booleans(), st.none(), st.text(max_size=8),
    st.lists(st.text(max_size=8), max_size=3), st.dictionaries(st.text(max_size=3),
                                                                st.integers(), max_size=2),
    st.sampled_from([np.int64(3), np.float64(0.5), np.bool_(True), np.float32(2.0),
                     ("frontline",), "manager", ["support", "it"], object()]),
)


@given(kind=st.sampled_from(sorted(INTERVENTIONS)), data=st.data())
def test_any_field_value_is_accepted_within_its_rule_or_refused_by_name(kind, data):
    cls = INTERVENTIONS[kind]
    field = data.draw(st.sampled_from(sorted(cls.field_rules())))
    value = data.draw(_JUNK)
    rule = cls.field_rules()[field]
    try:
        iv = from_dict({"type": kind, field: value})
    except ParameterError as error:
        assert f"interventions.{kind}.{field}" in str(error)
        # the same value is refused when assigned after construction, and changes nothing
        iv = cls()
        before = getattr(iv, field)
        with pytest.raises(ParameterError):
            setattr(iv, field, value)
        assert getattr(iv, field) == before
        return
    accepted = getattr(iv, field)
    if accepted is None:
        assert rule.nullable
    elif rule.kind in ("int", "float"):
        assert type(accepted) is (int if rule.kind == "int" else float)
        assert rule.low <= accepted <= rule.high
    elif rule.kind == "bool":
        assert type(accepted) is bool
    elif rule.kind == "names":
        assert isinstance(accepted, tuple) and all(isinstance(n, str) for n in accepted)
