"""Property tests (hypothesis): bounds of the dynamics for any inputs, parameter validation
for any value, organisation building for any size, and model invariants for random
configurations of a tiny model."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY, assert_daily_invariants, assert_model_invariants
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cxsim.core import dynamics as dyn
from cxsim.core import organisation as org
from cxsim.core.parameters import PARAMETERS, Config, ParameterError
from cxsim.core.structure import Structure
from cxsim.engine.interventions import INTERVENTIONS
from cxsim.engine.model import CXModel
from cxsim.results import Result

N = 8
unit = st.floats(0.0, 1.0)
units = hnp.arrays(np.float64, N, elements=unit)
normals = hnp.arrays(np.float64, N, elements=st.floats(-6.0, 6.0))
affects = hnp.arrays(np.float64, N, elements=st.floats(-3.0, 3.0))


def in_unit(x) -> bool:
    x = np.asarray(x, dtype=float)
    return bool(np.all(np.isfinite(x)) and np.all((x >= 0) & (x <= 1)))


@given(skill=units, engagement=units, centricity=units, authority=units, tools=unit,
       guidelines=units, loss=units, noise=normals, noise_sd=st.floats(0, 1),
       inconsistency=st.floats(0, 20))
def test_interaction_quality_always_in_unit_interval(skill, engagement, centricity, authority,
                                                     tools, guidelines, loss, noise, noise_sd,
                                                     inconsistency):
    q = dyn.interaction_quality(skill, engagement, centricity, authority, tools, guidelines,
                                loss, noise, noise_sd, inconsistency)
    assert q.shape == (N,) and in_unit(q)


@given(skill=units, authority=units, tools=unit, needs=hnp.arrays(bool, N), loss=units)
def test_resolution_probability_bounded_and_handoffs_never_help(skill, authority, tools,
                                                                 needs, loss):
    p = dyn.resolution_probability(skill, authority, tools, needs, loss)
    own = dyn.resolution_probability(skill, authority, tools, np.zeros(N, bool), loss)
    assert in_unit(p) and np.all(p <= own + 1e-12)


@given(strain=units, demand=hnp.arrays(np.float64, N, elements=st.floats(0, 50)),
       resources=units, build=unit, recovery=unit)
def test_strain_update_bounded(strain, demand, resources, build, recovery):
    after = dyn.strain_update(strain, demand, resources, build, recovery)
    assert in_unit(after)
    calm = dyn.strain_update(strain, np.zeros(N), resources, build, recovery)
    assert np.all(calm <= strain + 1e-12)


@given(resources=units, strain=units, leadership=units, recognition=units, centricity=units,
       fatigue=st.floats(0, 1), disposition=normals)
def test_engagement_target_bounded(resources, strain, leadership, recognition, centricity,
                                   fatigue, disposition):
    assert in_unit(dyn.engagement_target(resources, strain, leadership, recognition,
                                         centricity, fatigue, disposition))


@given(rate=st.floats(0, 2), strain=units, engagement=units, sf=st.floats(0, 50),
       df=st.floats(0, 50))
def test_quit_probability_bounded(rate, strain, engagement, sf, df):
    q = dyn.quit_probability(rate, strain, engagement, sf, df)
    assert in_unit(q)
    assert np.all(q >= rate / 365 - 1e-15)


@given(skill=units, hours=hnp.arrays(np.float64, N, elements=st.floats(0, 500)),
       rate=st.floats(0, 0.5), decay=st.floats(0, 0.05), floor=unit)
def test_skills_stay_bounded(skill, hours, rate, decay, floor):
    learned = dyn.learning_curve(skill, hours, rate)
    assert in_unit(learned) and np.all(learned >= skill - 1e-12)
    decayed = dyn.skill_decay(skill, decay, floor)
    assert in_unit(decayed) and np.all(decayed <= skill + 1e-12)
    assert np.all(decayed >= np.minimum(skill, floor) - 1e-12)


@given(commitment=units, coaches=hnp.arrays(bool, N), amplification=st.floats(1, 3),
       damping=unit, levels=hnp.arrays(np.int64, N, elements=st.integers(0, 2)),
       data=st.data())
def test_cascade_signal_bounded(commitment, coaches, amplification, damping, levels, data):
    boss = data.draw(hnp.arrays(np.int64, N, elements=st.integers(0, N - 1)))
    assert in_unit(dyn.cascade_signal(commitment, levels, boss, coaches, amplification,
                                      damping))


@given(values=units, data=st.data())
def test_neighbour_mean_is_a_convex_combination(values, data):
    m = data.draw(st.integers(0, 20))
    src = data.draw(hnp.arrays(np.int64, m, elements=st.integers(0, N - 1)))
    tgt = data.draw(hnp.arrays(np.int64, m, elements=st.integers(0, N - 1)))
    w = data.draw(hnp.arrays(np.float64, m, elements=st.one_of(st.just(0.0),
                                                                 st.floats(0, 20))))
    mean, total = dyn.neighbour_mean(values, src, tgt, w)
    assert np.all(mean >= values.min() - 1e-9) and np.all(mean <= values.max() + 1e-9)
    assert np.all(total >= 0)
    isolated = total == 0
    assert np.allclose(mean[isolated], values[isolated])


@given(current=units, target=units, rate=unit)
def test_drift_stays_between_current_and_target(current, target, rate):
    moved = dyn.drift(current, target, rate)
    assert np.all(moved >= np.minimum(current, target) - 1e-12)
    assert np.all(moved <= np.maximum(current, target) + 1e-12)


@given(experience=units, expectation=units, loss_aversion=st.floats(1, 5))
def test_disconfirmation_keeps_sign_and_weighs_losses_more(experience, expectation,
                                                           loss_aversion):
    affect = dyn.disconfirmation_affect(experience, expectation, loss_aversion)
    gap = experience - expectation
    assert np.all(np.sign(affect) == np.sign(gap))
    assert np.all(np.abs(affect) >= np.abs(gap) - 1e-12)


@given(mean=affects, peak=affects, affect=affects, memory=unit, decay=unit)
def test_remembered_peak_is_at_least_as_intense_as_the_latest_moment(mean, peak, affect,
                                                                      memory, decay):
    new_mean, new_peak = dyn.remember(mean, peak, affect, memory, decay)
    assert np.all(np.abs(new_peak) >= np.abs(affect) - 1e-12)
    assert np.all(np.abs(new_peak) >= np.abs(peak * decay) - 1e-12)
    assert np.all(new_mean >= np.minimum(mean, affect) - 1e-12)
    assert np.all(new_mean <= np.maximum(mean, affect) + 1e-12)


@given(mean=affects, peak=affects, end=affects, data=st.data(),
       gain=st.floats(0.1, 20), offset=st.floats(-5, 5))
def test_judged_satisfaction_in_unit_interval(mean, peak, end, data, gain, offset):
    pw = data.draw(unit)
    ew = data.draw(st.floats(0, 1 - pw))
    assert in_unit(dyn.judged_satisfaction(mean, peak, end, pw, ew, gain, offset))


@given(sat=units, noise=hnp.arrays(np.float64, N, elements=st.floats(-100, 100)))
def test_survey_answers_always_on_their_scales(sat, noise):
    csat = dyn.csat_answer(sat, noise)
    nps = dyn.nps_answer(sat, noise)
    assert np.all((csat >= 1) & (csat <= 5)) and np.all((nps >= 0) & (nps <= 10))


@given(sat=units, loyalty=units, hazard=unit, sensitivity=st.floats(0, 20),
       midpoint=unit, gain=st.floats(0, 50), elasticity=st.floats(0, 5))
def test_customer_probabilities_bounded(sat, loyalty, hazard, sensitivity, midpoint, gain,
                                        elasticity):
    assert in_unit(dyn.contact_churn_probability(sat, hazard, sensitivity))
    assert in_unit(dyn.renewal_probability(loyalty, midpoint, gain))
    assert np.all(dyn.spend_multiplier(loyalty, elasticity) >= 0)


# --- parameters -------------------------------------------------------------------------------


@given(data=st.data())
def test_any_value_in_range_validates_and_any_outside_is_rejected(data):
    p = data.draw(st.sampled_from([p for p in PARAMETERS if p.kind is not bool]))
    if p.kind is int:
        inside = data.draw(st.integers(int(p.low), int(p.high)))
    else:
        inside = data.draw(st.floats(p.low, p.high))
    assert p.validate(inside) == inside
    assert p.validate(str(inside)) == pytest.approx(inside)
    outside = data.draw(st.one_of(st.floats(p.high, p.high * 10 + 10, exclude_min=True),
                                  st.floats(p.low - 10 - abs(p.low) * 10, p.low,
                                            exclude_max=True)))
    with pytest.raises(ParameterError) as info:
        Config.from_flat({p.name: outside})
    assert p.path in str(info.value)


# --- organisation building -------------------------------------------------------------------


@given(n=st.integers(20, 3000), span=st.integers(2, 40))
def test_positions_form_a_reporting_tree(n, span):
    structure = Structure()
    sizes = org.department_sizes(n, structure)
    assert sizes.sum() == n and np.all(sizes >= 2)
    pos = org.build_positions(n, span, structure)
    assert pos.department.size == n
    assert np.array_equal(np.bincount(pos.department, minlength=sizes.size), sizes)
    executive = structure.department_index("executive")
    assert np.all((pos.level == org.EXECUTIVE) == (pos.department == executive))
    frontline = pos.level == org.FRONTLINE
    assert np.all(pos.level[pos.boss[frontline]] == org.MANAGER)
    assert np.all(pos.department[pos.boss[frontline]] == pos.department[frontline])
    managers = pos.level == org.MANAGER
    assert np.all(pos.level[pos.boss[managers]] == org.EXECUTIVE)
    chiefs = np.flatnonzero(pos.boss == np.arange(n))
    assert chiefs.size == 1 and pos.level[chiefs[0]] == org.EXECUTIVE
    for d in range(sizes.size):
        if d != executive:
            assert np.any(managers & (pos.department == d))
    # every position is in exactly one team, led by a leader
    assert np.all(pos.team >= 0) and np.all(pos.team < pos.team_leaders.size)
    assert np.all(pos.team[pos.team_leaders] == np.arange(pos.team_leaders.size))


@given(silo=unit, ties=st.floats(1, 20), seed=st.integers(0, 2**31))
def test_network_has_no_self_loops_and_silo_measure_bounded(silo, ties, seed):
    structure = Structure()
    pos = org.build_positions(120, 8, structure)
    graph = org.build_network(pos, silo, ties, np.random.default_rng(seed))
    assert graph.number_of_nodes() == 120
    assert not any(u == v for u, v in graph.edges())
    edges = np.array(graph.edges()).reshape(-1, 2)
    src = np.concatenate([edges[:, 0], edges[:, 1]])
    tgt = np.concatenate([edges[:, 1], edges[:, 0]])
    per_dept, overall = org.effective_silo(src, tgt, pos.department, len(structure.departments))
    assert 0 <= overall <= 1 and np.all((per_dept >= 0) & (per_dept <= 1))
    if silo == 1.0:
        informal = [(u, v) for u, v, k in graph.edges(data="kind") if k == "informal"]
        assert all(pos.department[u] == pos.department[v] for u, v in informal)


# --- whole model ------------------------------------------------------------------------------

model_parameters = st.fixed_dictionaries({
    "silo_strength": unit,
    "cx_ownership": unit,
    "contact_capacity": st.floats(1, 30),
    "response_rate": st.floats(0.05, 1),
    "max_contacts": st.integers(1, 6),
    "escalate_after": st.integers(1, 6),
    "base_quit_rate": st.floats(0, 2),
    "hiring_delay_days": st.integers(0, 20),
    "prospect_pool_share": st.floats(0, 2),
    "acquisition_rate": st.floats(0, 5),
    "baseline_empowerment": unit,
    "crm_integration": unit,
    "digital_share": unit,
    "noise_sd": st.floats(0, 0.5),
    "contract_days": st.integers(30, 200),
    "span_of_control": st.integers(2, 20),
})


@given(params=model_parameters, seed=st.integers(0, 10**6),
       kinds=st.lists(st.sampled_from(sorted(INTERVENTIONS)), max_size=3),
       start=st.integers(0, 10))
def test_model_invariants_hold_for_random_configurations(params, seed, kinds, start):
    interventions = [{"type": k, "start": start} for k in kinds]
    model = CXModel(rng=seed, interventions=interventions, **{**TINY, **params})
    model.run()
    assume(model.active.any())
    assert_model_invariants(model)
    assert_daily_invariants(Result(model, seed).daily)
