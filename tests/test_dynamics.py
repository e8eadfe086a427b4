"""cxsim.core.dynamics: each pure function on its own, on hand-built inputs.

Only the shapes of the rules are checked (direction, bounds, fixed points), never
calibrated numbers, so these tests survive recalibration of the constants.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from cxsim.core import dynamics as dyn

GRID = np.linspace(0.0, 1.0, 11)


def increasing(values) -> bool:
    return bool(np.all(np.diff(np.asarray(values, dtype=float)) > 0))


def non_decreasing(values) -> bool:
    return bool(np.all(np.diff(np.asarray(values, dtype=float)) >= -1e-12))


# --- social influence ------------------------------------------------------------


def test_neighbour_mean_weights_in_neighbours():
    # 0 -> 2 (weight 1), 1 -> 2 (weight 3); 0 and 1 have no in-neighbours
    values = np.array([0.0, 1.0, 5.0])
    mean, total = dyn.neighbour_mean(values, np.array([0, 1]), np.array([2, 2]),
                                     np.array([1.0, 3.0]))
    assert_allclose(total, [0.0, 0.0, 4.0])
    assert_allclose(mean, [0.0, 1.0, 0.75])


def test_neighbour_mean_undirected_pair_and_isolated_node():
    values = np.array([0.2, 0.8, 0.5])
    # an undirected tie 0 - 1 given in both directions; node 2 is isolated
    mean, total = dyn.neighbour_mean(values, np.array([0, 1]), np.array([1, 0]),
                                     np.array([1.0, 1.0]))
    assert_allclose(mean, [0.8, 0.2, 0.5])
    assert_allclose(total, [1.0, 1.0, 0.0])


def test_neighbour_mean_leader_weight_pulls_towards_leader():
    # node 3 hears from a leader (0, weight 3) and two peers (1, 2, weight 1)
    values = np.array([1.0, 0.0, 0.0, 0.5])
    src, tgt = np.array([0, 1, 2]), np.array([3, 3, 3])
    equal, _ = dyn.neighbour_mean(values, src, tgt, np.ones(3))
    leader, _ = dyn.neighbour_mean(values, src, tgt, np.array([3.0, 1.0, 1.0]))
    assert_allclose(equal[3], 1 / 3)
    assert_allclose(leader[3], 3 / 5)


def test_neighbour_mean_zero_weight_edges_count_as_absent():
    values = np.array([1.0, 0.3])
    mean, total = dyn.neighbour_mean(values, np.array([0]), np.array([1]), np.array([0.0]))
    assert_allclose(mean, values)
    assert_allclose(total, 0.0)


def test_neighbour_mean_tiny_weights_still_average():
    # regression: dividing by max(total, 1e-12) shrank means of tiny total weights
    values = np.array([1.0, 1.0])
    mean, _ = dyn.neighbour_mean(values, np.array([0]), np.array([1]), np.array([1e-20]))
    assert mean[1] == pytest.approx(1.0)


def test_drift():
    current, target = np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.5])
    assert_allclose(dyn.drift(current, target, 0.0), current)
    assert_allclose(dyn.drift(current, target, 1.0), target)
    assert_allclose(dyn.drift(current, target, 0.25), [0.25, 0.75, 0.5])
    # array rates
    assert_allclose(dyn.drift(current, target, np.array([0.5, 0.1, 1.0])), [0.5, 0.9, 0.5])


# --- leadership cascade -------------------------------------------------------------


def _cascade(coaches, commitment=0.5, amplification=1.5, damping=0.4):
    # 0 executive, 1 coaching manager, 2 non-coaching manager, 3 and 4 their frontline
    level = np.array([0, 1, 1, 2, 2])
    boss = np.array([0, 0, 0, 1, 2])
    c = np.full(5, commitment)
    return dyn.cascade_signal(c, level, boss, np.array(coaches), amplification, damping)


def test_cascade_coaching_amplifies_non_coaching_damps():
    signal = _cascade([False, True, False, False, False])
    assert signal[0] == pytest.approx(0.5)  # executive keeps its own commitment
    assert signal[1] == pytest.approx(0.5 * 1.5) and signal[1] > signal[0]
    assert signal[2] == pytest.approx(0.5 * 0.4) and signal[2] < signal[0]
    assert signal[3] == pytest.approx(signal[1])  # frontline get their manager's signal
    assert signal[4] == pytest.approx(signal[2])


def test_cascade_executives_and_frontline_coaching_flags_do_not_matter():
    a = _cascade([False, True, False, False, False])
    b = _cascade([True, True, False, True, True])
    assert_allclose(a, b)


def test_cascade_is_bounded():
    signal = _cascade([True, True, True, True, True], commitment=1.0, amplification=3.0)
    assert np.all((signal >= 0) & (signal <= 1))
    assert signal[3] == 1.0


# --- skills ------------------------------------------------------------------------------


def test_learning_curve_monotone_in_hours_and_bounded():
    skill = np.full(6, 0.3)
    hours = np.array([0.0, 1.0, 4.0, 8.0, 40.0, 400.0])
    after = dyn.learning_curve(skill, hours, 0.05)
    assert after[0] == pytest.approx(0.3)  # no hours, no change
    assert increasing(after[:5])
    assert np.all(after <= 1.0)
    assert dyn.learning_curve(np.array([1.0]), 8.0, 0.05)[0] == pytest.approx(1.0)


def test_learning_curve_higher_skill_gains_less():
    before = np.array([0.1, 0.5, 0.9])
    gain = dyn.learning_curve(before, 8.0, 0.05) - before
    assert np.all(np.diff(gain) < 0) and np.all(gain > 0)


def test_learning_curve_zero_rate_changes_nothing():
    skill = np.array([0.2, 0.7])
    assert_allclose(dyn.learning_curve(skill, 10.0, 0.0), skill)


def test_skill_decay_never_below_floor():
    skill = np.array([0.0, 0.05, 0.1, 0.5, 1.0])
    after = dyn.skill_decay(skill, 0.1, 0.1)
    assert_array_equal(after[:3], skill[:3])  # at or below the floor: unchanged
    assert np.all(after[3:] < skill[3:]) and np.all(after[3:] > 0.1)
    repeated = skill.copy()
    for _ in range(2000):
        repeated = dyn.skill_decay(repeated, 0.1, 0.1)
    assert np.all(repeated >= np.minimum(skill, 0.1) - 1e-12)
    assert_allclose(repeated[3:], 0.1, atol=1e-6)


# --- job demands and resources ---------------------------------------------------------


def test_job_resources_bounded_and_increasing_in_each_input():
    base = dict(skill=np.array([0.5]), empowerment=np.array([0.5]), tools=0.5,
                support=np.array([0.5]), information=np.array([0.5]))
    for name in base:
        values = []
        for x in GRID:
            kwargs = dict(base)
            kwargs[name] = x if name == "tools" else np.array([x])
            values.append(dyn.job_resources(**kwargs)[0])
        assert increasing(values), name
        assert all(0 <= v <= 1 for v in values)


def test_strain_rises_with_excess_demand_and_recovers_without():
    strain = np.array([0.3, 0.3])
    demand = np.array([3.0, 0.2])  # heavy overload / light day
    resources = np.array([0.3, 0.3])
    after = dyn.strain_update(strain, demand, resources, 0.1, 0.02)
    assert after[0] > 0.3
    assert after[1] < 0.3
    assert after[1] == pytest.approx(0.3 * (1 - 0.02))


def test_strain_more_resources_absorb_more_demand():
    strain = np.full(3, 0.3)
    after = dyn.strain_update(strain, np.full(3, 2.0), np.array([0.0, 0.5, 1.0]), 0.1, 0.02)
    assert np.all(np.diff(after) < 0)


def test_strain_is_bounded():
    strain = np.array([0.0, 0.99, 1.0, 0.5])
    after = dyn.strain_update(strain, np.full(4, 100.0), np.zeros(4), 1.0, 0.0)
    assert np.all((after >= 0) & (after <= 1))
    after = dyn.strain_update(strain, np.zeros(4), np.ones(4), 0.0, 1.0)
    assert_allclose(after, 0.0)


@pytest.mark.parametrize("excess, build, recovery", [(0.5, 0.06, 0.02), (2.0, 0.1, 0.05),
                                                     (0.1, 0.3, 0.01)])
def test_strain_converges_to_documented_equilibrium(excess, build, recovery):
    resources = np.array([0.4, 0.4])
    demand = 0.5 + resources + excess
    strain = np.array([0.0, 1.0])  # from below and from above
    for _ in range(5000):
        strain = dyn.strain_update(strain, demand, resources, build, recovery)
    expected = build * excess / (build * excess + recovery)
    assert_allclose(strain, expected, atol=1e-6)


def _target(**changes):
    kwargs = dict(resources=np.array([0.5]), strain=np.array([0.3]),
                  leadership=np.array([0.4]), recognition=np.array([0.1]),
                  centricity=np.array([0.4]), change_fatigue=0.0, disposition=0.0)
    kwargs.update(changes)
    return float(dyn.engagement_target(**kwargs)[0])


@pytest.mark.parametrize("name, direction", [("resources", +1), ("leadership", +1),
                                             ("recognition", +1), ("centricity", +1),
                                             ("strain", -1)])
def test_engagement_target_direction(name, direction):
    values = [_target(**{name: np.array([x])}) for x in GRID]
    assert increasing(np.multiply(direction, values)), name
    assert all(0 <= v <= 1 for v in values)


def test_engagement_target_change_fatigue_and_disposition():
    assert _target(change_fatigue=0.1) < _target()
    assert _target(disposition=1.0) > _target() > _target(disposition=-1.0)
    assert _target(change_fatigue=5.0) == 0.0


def test_quit_probability_monotone_in_strain_and_disengagement():
    engagement = np.full(GRID.size, 0.5)
    by_strain = dyn.quit_probability(0.2, GRID, engagement, 4.0, 1.0)
    assert increasing(by_strain)
    by_engagement = dyn.quit_probability(0.2, np.full(GRID.size, 0.3), GRID, 4.0, 1.0)
    assert increasing(-by_engagement)
    calm = dyn.quit_probability(0.2, np.array([0.0]), np.array([1.0]), 4.0, 1.0)
    assert calm[0] == pytest.approx(0.2 / 365)
    assert np.all(dyn.quit_probability(365.0 * 5, GRID, GRID, 50.0, 50.0) <= 1.0)


# --- interactions ----------------------------------------------------------------------


def test_handoff_loss_zero_without_silos_or_with_shared_systems():
    assert dyn.handoff_loss(0.0, 0.2, 0.0, 0.6) == 0.0
    assert dyn.handoff_loss(0.9, 1.0, 0.0, 0.6) == 0.0
    assert dyn.handoff_loss(0.9, 0.2, 1.0, 0.6) == 0.0
    assert dyn.handoff_loss(0.9, 0.2, 0.0, 0.0) == 0.0
    losses = [dyn.handoff_loss(s, 0.2, 0.0, 0.6) for s in GRID]
    assert increasing(losses)
    assert dyn.handoff_loss(0.9, 0.2, 0.0, 0.6) > dyn.handoff_loss(0.9, 0.6, 0.0, 0.6)
    assert 0 <= dyn.handoff_loss(1.0, 0.0, 0.0, 1.0) <= 1


def _quality(**changes):
    n = changes.pop("n", GRID.size)
    kwargs = dict(skill=np.full(n, 0.5), engagement=np.full(n, 0.5),
                  centricity=np.full(n, 0.5), authority=np.full(n, 0.3), tools=0.3,
                  guidelines=0.3, loss=0.0, noise=np.zeros(n), noise_sd=0.1, inconsistency=3.0)
    kwargs.update(changes)
    return dyn.interaction_quality(**kwargs)


@pytest.mark.parametrize("name", ["skill", "engagement", "centricity", "authority"])
def test_interaction_quality_increases_in_employee_inputs(name):
    assert increasing(_quality(**{name: GRID}))


def test_interaction_quality_tools_help_and_lost_context_hurts():
    assert _quality(tools=0.8)[0] > _quality(tools=0.2)[0]
    assert _quality(loss=0.3)[0] < _quality(loss=0.0)[0]


def test_interaction_quality_bounded_even_with_huge_noise():
    noise = np.linspace(-50, 50, GRID.size)
    q = _quality(noise=noise, noise_sd=1.0, skill=GRID)
    assert np.all((q >= 0) & (q <= 1))
    assert q.min() == 0.0 and q.max() == 1.0


def test_interaction_quality_noise_spread_wider_with_authority_without_guidelines():
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(20_000)
    n = noise.size

    def spread(authority, guidelines, skill=0.2):
        q = _quality(n=n, noise=noise, authority=np.full(n, authority), guidelines=guidelines,
                     skill=np.full(n, skill), noise_sd=0.05)
        return q.std()

    assert spread(0.9, 0.0) > 1.5 * spread(0.9, 1.0)
    assert spread(0.9, 0.0) > 1.5 * spread(0.0, 0.0)
    assert spread(0.9, 1.0) == pytest.approx(spread(0.0, 0.0), rel=1e-6)


def test_interaction_quality_zero_noise_sd_is_deterministic():
    noise = np.linspace(-3, 3, GRID.size)
    assert_allclose(_quality(noise=noise, noise_sd=0.0), _quality(noise_sd=0.0))


def test_resolution_lower_when_handoff_loses_context():
    skill, authority = np.full(3, 0.5), np.full(3, 0.3)
    own = dyn.resolution_probability(skill, authority, 0.2, np.zeros(3, bool), 0.0)
    handed = dyn.resolution_probability(skill, authority, 0.2, np.ones(3, bool),
                                        np.array([0.0, 0.3, 0.6]))
    assert np.all(handed < own)
    assert increasing(-handed)
    assert np.all((handed >= 0) & (own <= 1))


def test_resolution_increases_with_skill_authority_and_tools():
    nope = np.zeros(GRID.size, bool)
    assert increasing(dyn.resolution_probability(GRID * 0.5, np.full(11, 0.2), 0.2, nope, 0.0))
    assert increasing(dyn.resolution_probability(np.full(11, 0.3), GRID * 0.5, 0.2, nope, 0.0))
    low = dyn.resolution_probability(np.array([0.3]), np.array([0.2]), 0.0, nope[:1], 0.0)
    high = dyn.resolution_probability(np.array([0.3]), np.array([0.2]), 0.8, nope[:1], 0.0)
    assert high[0] > low[0]


def test_authority_lets_handoffs_succeed_despite_loss():
    handoff = np.ones(2, bool)
    p = dyn.resolution_probability(np.full(2, 0.3), np.array([0.0, 0.5]), 0.2, handoff, 0.4)
    assert p[1] > p[0]


# --- customers' judgement ----------------------------------------------------------------


def test_disconfirmation_loss_aversion():
    expectation = np.full(2, 0.6)
    affect = dyn.disconfirmation_affect(np.array([0.7, 0.5]), expectation, 2.5)
    assert affect[0] == pytest.approx(0.1)
    assert affect[1] == pytest.approx(-0.25)
    assert -affect[1] == pytest.approx(2.5 * affect[0])
    met = dyn.disconfirmation_affect(np.array([0.6]), np.array([0.6]), 2.5)
    assert met[0] == 0.0
    neutral = dyn.disconfirmation_affect(np.array([0.7, 0.5]), expectation, 1.0)
    assert neutral[0] == pytest.approx(-neutral[1])


def test_remember_peak_keeps_the_most_intense_moment():
    mean, peak = np.zeros(1), np.zeros(1)
    mean, peak = dyn.remember(mean, peak, np.array([-0.8]), 0.2, 0.9)
    assert peak[0] == pytest.approx(-0.8)
    assert mean[0] == pytest.approx(-0.16)
    mean, peak = dyn.remember(mean, peak, np.array([0.3]), 0.2, 0.9)
    assert peak[0] == pytest.approx(-0.72)  # the bad moment, faded, is still the peak
    assert mean[0] == pytest.approx(-0.16 + 0.2 * (0.3 + 0.16))
    _, peak = dyn.remember(mean, peak, np.array([0.9]), 0.2, 0.9)
    assert peak[0] == pytest.approx(0.9)  # a more intense moment replaces it


def test_remember_peak_fades_without_new_intense_moments():
    mean, peak = np.zeros(1), np.array([-1.0])
    for _ in range(60):
        mean, peak = dyn.remember(mean, peak, np.array([0.0]), 0.2, 0.9)
    assert abs(peak[0]) < 0.01


@pytest.mark.parametrize("which", [0, 1, 2])
def test_judged_satisfaction_monotone_in_remembered_affect(which):
    affects = [np.zeros(GRID.size)] * 3
    affects[which] = GRID - 0.5
    sat = dyn.judged_satisfaction(*affects, 0.3, 0.3, 4.0, 1.0)
    assert increasing(sat)
    assert np.all((sat > 0) & (sat < 1))


def test_judged_satisfaction_at_zero_affect_is_the_offset():
    zero = np.zeros(1)
    sat = dyn.judged_satisfaction(zero, zero, zero, 0.3, 0.3, 4.0, 1.2)
    assert sat[0] == pytest.approx(1 / (1 + np.exp(-1.2)))


def test_survey_answers_in_range_and_monotone():
    sat = np.linspace(0, 1, 101)
    zero = np.zeros(sat.size)
    csat = dyn.csat_answer(sat, zero)
    nps = dyn.nps_answer(sat, zero)
    assert csat.min() == 1 and csat.max() == 5
    assert nps.min() == 0 and nps.max() == 10
    assert non_decreasing(csat) and non_decreasing(nps)
    wild = np.random.default_rng(1).normal(0, 20, sat.size)
    assert set(np.unique(dyn.csat_answer(sat, wild))) <= set(range(1, 6))
    assert set(np.unique(dyn.nps_answer(sat, wild))) <= set(range(0, 11))


def test_promoter_thresholds_match_expected_answers():
    zero = np.zeros(1)
    eps = 1e-9  # exactly at a threshold the noiseless answer sits on a .5 rounding tie
    assert dyn.nps_answer(np.array([dyn.PROMOTER_SATISFACTION + eps]), zero)[0] >= 9
    assert dyn.nps_answer(np.array([dyn.PROMOTER_SATISFACTION - eps]), zero)[0] <= 8
    assert dyn.nps_answer(np.array([dyn.DETRACTOR_SATISFACTION - eps]), zero)[0] <= 6
    assert dyn.nps_answer(np.array([dyn.DETRACTOR_SATISFACTION + eps]), zero)[0] >= 7


def test_churn_renewal_and_spend_monotone():
    churn = dyn.contact_churn_probability(GRID, 0.01, 4.0)
    assert increasing(-churn) and np.all((churn >= 0) & (churn <= 1))
    assert dyn.contact_churn_probability(np.array([0.5]), 0.01, 4.0)[0] == pytest.approx(0.01)
    assert np.all(dyn.contact_churn_probability(GRID, 1.0, 20.0) <= 1.0)
    renew = dyn.renewal_probability(GRID, 0.45, 8.0)
    assert increasing(renew) and np.all((renew > 0) & (renew < 1))
    assert dyn.renewal_probability(np.array([0.45]), 0.45, 8.0)[0] == pytest.approx(0.5)
    spend = dyn.spend_multiplier(GRID, 0.5)
    assert increasing(spend) and spend[5] == pytest.approx(1.0)
    assert np.all(dyn.spend_multiplier(GRID, 5.0) >= 0)


# --- the shared small rules --------------------------------------------------------------


def test_contact_experience_resolution_helps_and_repeats_hurt():
    q = np.full(4, 0.6)
    problem = np.ones(4, bool)
    resolved = np.array([True, False, True, False])
    contacts = np.array([1, 1, 3, 4])
    abandoned = np.array([False, False, False, True])
    e = dyn.contact_experience(q, problem, resolved, contacts, abandoned, np.zeros(4, bool))
    assert e[0] > e[1]  # resolved beats unresolved
    assert e[0] > e[2]  # first-contact resolution beats resolution after repeats
    assert e[3] < e[1]  # giving up is the worst
    routine = dyn.contact_experience(q[:2], np.zeros(2, bool), np.zeros(2, bool),
                                     np.zeros(2), np.zeros(2, bool), np.array([False, True]))
    assert routine[0] == pytest.approx(0.6) and routine[1] < routine[0]


def test_pain_flow_blocked_only_by_full_silos_without_any_channel():
    silo = np.array([0.0, 0.5, 1.0])
    flow = dyn.pain_flow(silo, np.zeros(3), 0.0, 0.0)
    assert_allclose(flow, [1.0, 0.5, 0.0])
    assert dyn.pain_flow(np.ones(1), np.ones(1), 0.0, 0.0)[0] == 1.0
    assert dyn.pain_flow(np.ones(1), np.zeros(1), 1.0, 0.0)[0] == 1.0
    assert dyn.pain_flow(np.ones(1), np.zeros(1), 0.0, 1.0)[0] == 1.0


def test_root_cause_fix_lowers_defects_towards_the_floor():
    rate, floor = np.array([0.08, 0.08, 0.01]), np.array([0.02, 0.02, 0.01])
    after = dyn.root_cause_fix(rate, floor, np.array([0.0, 50.0, 50.0]), np.full(3, 0.5), 0.01)
    assert after[0] == pytest.approx(0.08)
    assert floor[1] < after[1] < 0.08
    assert after[2] == pytest.approx(0.01)


def test_expected_acquisitions_word_of_mouth_and_market_limit():
    base = dict(acquisition_rate=0.2, n_customers=10_000, promoters=1000, detractors=1000,
                referral_rate=0.1, deterrence_rate=0.1, amplification=2.0,
                prospects_left=10_000, pool=10_000)
    ref = dyn.expected_acquisitions(**base)
    assert dyn.expected_acquisitions(**{**base, "promoters": 3000}) > ref
    assert dyn.expected_acquisitions(**{**base, "detractors": 1500}) < ref
    assert dyn.expected_acquisitions(**{**base, "prospects_left": 5000}) == pytest.approx(ref / 2)
    assert dyn.expected_acquisitions(**{**base, "prospects_left": 0}) == 0.0
    assert dyn.expected_acquisitions(**{**base, "detractors": 10**6}) == 0.0


def test_fade_half_life_and_recognition_habituation():
    assert_allclose(dyn.fade(np.ones(1) * 0.8, 10.0) ** 1, 0.8 * 0.5 ** 0.1)
    value = np.ones(1)
    for _ in range(21):
        value = dyn.fade(value, 21.0)
    assert value[0] == pytest.approx(0.5)
    recognition, habituation = np.zeros(2), np.array([0.0, 2.0])
    lifted, habit = dyn.recognition_lift(recognition, habituation, 0.3)
    assert lifted[0] > lifted[1] > 0  # habituated employees gain less
    assert np.all(habit > habituation)
    again, _ = dyn.recognition_lift(np.ones(1), np.zeros(1), 0.3)
    assert again[0] == pytest.approx(1.0)


def test_centricity_target_and_manager_support():
    zero = np.zeros(1)
    assert dyn.centricity_target(np.ones(1), zero, zero)[0] > dyn.centricity_target(
        zero, zero, zero)[0]
    assert dyn.centricity_target(zero, np.ones(1), zero)[0] > dyn.centricity_target(
        zero, zero, zero)[0]
    assert dyn.centricity_target(np.ones(1), np.ones(1), np.ones(1))[0] <= 1.0
    support = dyn.manager_support(np.array([True, True]), np.array([True, False]),
                                  np.array([False, False]))
    assert support[0] > support[1]


# --- capacity and waiting ----------------------------------------------------------

UTILISATION = st.floats(0.0, dyn.NO_CAPACITY_UTILISATION, allow_nan=False)


def test_nobody_waits_below_the_queue_start_and_everyone_is_reached():
    low = np.linspace(0.0, dyn.QUEUE_START, 9)
    assert_array_equal(dyn.wait_index(low), 0.0)
    assert_allclose(dyn.reach_probability(low, 0.3), 1.0)
    assert dyn.wait_index(np.array([1.0]))[0] == pytest.approx(1.0)


@given(a=UTILISATION, b=UTILISATION, abandonment=st.floats(0.0, 5.0))
def test_fuller_groups_wait_longer_and_reach_fewer(a, b, abandonment):
    low, high = np.array([min(a, b)]), np.array([max(a, b)])
    assert dyn.wait_index(low)[0] <= dyn.wait_index(high)[0] <= dyn.MAX_WAIT
    reach_low = dyn.reach_probability(low, abandonment)[0]
    reach_high = dyn.reach_probability(high, abandonment)[0]
    assert 0.0 <= reach_high <= reach_low <= 1.0


@given(u=st.floats(1.2, dyn.NO_CAPACITY_UTILISATION))
def test_an_overloaded_team_serves_no_more_than_it_can_carry(u):
    """Served work (utilisation x reach) never exceeds OVERTIME however long the queue."""
    served = u * dyn.reach_probability(np.array([u]), 0.0)[0]
    assert served <= dyn.OVERTIME + 1e-9


def test_utilisation_of_a_group_with_work_and_nobody_is_the_cap():
    u = dyn.utilisation_today(np.array([0.0, 5.0, 5.0, 0.0]), np.array([0.0, 0.0, 10.0, 4.0]))
    assert_allclose(u, [0.0, dyn.NO_CAPACITY_UTILISATION, 0.5, 0.0])


def test_managers_take_escalations_up_to_their_capacity():
    u = np.array([0.0, 0.5, 1.0, 2.0, 4.0])
    room = dyn.manager_room(u)
    assert_allclose(room[:3], 1.0)
    assert_allclose(u[3:] * room[3:], 1.0)


def test_queue_pressure_adds_to_demand_only_beyond_overtime():
    base = dyn.job_demand(np.array([2.0]), 4.0)
    assert_allclose(dyn.job_demand(np.array([2.0]), 4.0, dyn.OVERTIME), base)
    assert dyn.job_demand(np.array([2.0]), 4.0, 2.0)[0] > base[0]
    assert dyn.job_demand(np.array([2.0]), 4.0, 50.0)[0] == pytest.approx(
        base[0] + dyn.MAX_QUEUE_PRESSURE)


def test_waiting_lowers_the_experience():
    experience = np.array([0.7, 0.7, 0.05])
    after = dyn.waited_experience(experience, np.array([0.0, 1.0, 5.0]), 0.1)
    assert after[0] == 0.7 and after[1] < 0.7 and after[2] == 0.0


def test_group_capacity_gives_managers_their_share():
    capacity = dyn.group_capacity(4.0, 0.5, 0.25, 2)
    assert_allclose(capacity, [0.5, 0.5, 2.0, 0.5, 0.5, 2.0])


def test_new_defects_bring_the_rate_back_to_its_natural_level():
    rate = np.array([0.02, 0.08, 0.12])
    natural = np.full(3, 0.08)
    after = dyn.defect_renewal(rate, natural, 10.0)
    assert after[0] > 0.02 and after[1] == pytest.approx(0.08) and after[2] < 0.12
    for _ in range(500):
        rate = dyn.defect_renewal(rate, natural, 10.0)
    assert_allclose(rate, natural, atol=1e-9)


def test_incumbents_are_selected_toward_engaging_dispositions():
    from scipy import stats

    from cxsim.core.organisation import incumbent_dispositions
    rng = np.random.default_rng(3)
    unselected = incumbent_dispositions(rng, 20_000, 1.0, 0.0, own_weight=1.0)
    assert stats.kstest(unselected, "norm").pvalue > 0.001
    selected = incumbent_dispositions(rng, 20_000, 1.0, 2.0, own_weight=1.0)
    assert selected.mean() > 0.1  # who stays leans toward engaging
    assert stats.ks_2samp(selected, unselected).pvalue < 1e-6
    # peers pull a settled engagement toward theirs, so disposition selects less
    damped = incumbent_dispositions(rng, 20_000, 1.0, 2.0, own_weight=0.6)
    assert 0.03 < damped.mean() < selected.mean() - 0.03


def test_own_engagement_weight():
    from cxsim.core.organisation import own_engagement_weight
    assert own_engagement_weight(0.03, 0.02) == pytest.approx(0.6)
    assert own_engagement_weight(0.0, 0.0) == 1.0
