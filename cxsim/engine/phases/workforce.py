"""Phase: workforce. The leadership signal cascades, peers influence each other through
the informal network, and every position's customer-centricity, empowerment, skill,
strain, recognition and engagement move one day toward their targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core import organisation as org
from cxsim.core.enums import Level
from cxsim.engine.compiled import jit, numpy_sum

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel

EXECUTIVE, MANAGER, FRONTLINE = Level


def update_workforce(model: CXModel) -> None:
    """One day of the workforce, compiled in two parts: :func:`lead_and_influence` (the
    signal, peers, centricity and empowerment), then :func:`work_and_engage` (routine
    training, skill, load, utilisation, strain, recognition, engagement)."""
    p, lv = model.params, model.levers
    coaches, signal, model.centricity, model.empowerment, peer_engagement = (
        lead_and_influence(model.active, model.level, model.boss, model.coach_draw,
                           model._position_group, model._manager_group,
                           model._executive_group, lv.coaching.ravel(),
                           lv.commitment.ravel(), lv.ownership.ravel(),
                           lv.shared_metrics.ravel(), lv.authority.ravel(),
                           model.edge_source, model.edge_target, model.edge_weight,
                           model.engagement, model.centricity, model.empowerment,
                           p.coaching_amplification, p.non_coaching_damping,
                           p.leadership_rate, p.social_influence_rate))
    capacity = group_capacity(model, lv.capacity)
    (model.skill, model.load_average, model.utilisation, model.strain, model.recognition,
     model.habituation, model.engagement, model.tenure, model.today["demand_mean"],
     model._digital_skill, model._digital_centricity) = work_and_engage(
        model.day, model.active, model._is_frontline, model._is_executive, model.boss,
        model.department, model._position_group, model.employee_phase,
        model._digital_positions, coaches, signal, peer_engagement, capacity,
        model.offered, model._roster_count, model.utilisation, model.department_silo,
        lv.change_fatigue.ravel(), lv.crm, lv.training_effect, model.skill,
        model.training_hours, model.last_trained, model.load, model.load_average,
        model.empowerment, model.strain, model.recognition, model.habituation,
        model.centricity, model.engagement, model.disposition, model.position_climate,
        model.tenure, p.routine_training_hours / 2.0, p.learning_per_hour, p.skill_decay,
        p.skill_floor, p.on_the_job_learning, p.strain_build_rate, p.strain_recovery_rate,
        p.recognition_fade_days, p.engagement_rate, p.social_influence_rate)


@jit
def lead_and_influence(active, level, boss, coach_draw, group, manager_group,
                       executive_group, coaching, commitment, ownership, shared_metrics,
                       authority, edge_source, edge_target, edge_weight, engagement,
                       centricity, empowerment, coaching_amplification, non_coaching_damping,
                       leadership_rate, social_influence_rate):
    """The leadership signal cascades, peers influence each other through the informal
    network, customer-centricity and empowerment move toward their targets (compiled;
    the levers' tables flattened by ``department * 3 + level``). Returns who coaches,
    the signal, the new centricity and empowerment, and the peers' mean engagement."""
    n = active.size
    coaches = (coach_draw < coaching[manager_group]) & active
    signal = dyn.cascade_signal(commitment[executive_group], level, boss, coaches,
                                coaching_amplification, non_coaching_damping)
    weight = edge_weight * active[edge_source]
    peer_engagement = dyn.neighbour_mean(engagement, edge_source, edge_target, weight)[0]
    peer_centricity = dyn.neighbour_mean(centricity, edge_source, edge_target, weight)[0]
    new_centricity, new_empowerment = np.empty(n), np.empty(n)
    for i in range(n):
        target = dyn.centricity_target(signal[i], ownership[group[i]],
                                       shared_metrics[group[i]])
        new_centricity[i] = dyn.clip01(
            centricity[i] + leadership_rate * (target - centricity[i])
            + social_influence_rate * (peer_centricity[i] - centricity[i]))
        new_empowerment[i] = dyn.drift(empowerment[i], authority[group[i]],
                                       dyn.EMPOWERMENT_DRIFT)
    return coaches, signal, new_centricity, new_empowerment, peer_engagement


@jit
def work_and_engage(day, active, is_frontline, is_executive, boss, department, group,
                    employee_phase, digital_positions, coaches, signal, peer_engagement,
                    capacity, offered, roster_count, utilisation, department_silo,
                    change_fatigue, crm, training_effect, skill, training_hours,
                    last_trained, load, load_average, empowerment, strain, recognition,
                    habituation, centricity, engagement, disposition, position_climate,
                    tenure, routine_hours, learning_per_hour, skill_decay, skill_floor,
                    on_the_job_learning, strain_build_rate, strain_recovery_rate,
                    recognition_fade_days, engagement_rate, social_influence_rate):
    """Routine training (``routine_hours`` each, every :data:`ROUTINE_TRAINING_CYCLE` days
    of a position's phase, by :func:`train_position` as for :meth:`CXModel.train`;
    ``training_hours`` and ``last_trained`` updated in place), skill decays and grows with
    practice, the groups' utilisation and the load are felt, strain builds or recovers,
    recognition and habituation fade, and engagement moves toward what the job's demands
    and resources, the leadership signal, recognition and centricity pull it to, and
    toward the peers' (compiled). Returns the new skill, felt load, utilisation, strain,
    recognition, habituation, engagement and tenure, the filled positions' mean demand,
    and the digital channel's staff's mean skill and centricity."""
    n = active.size
    new_skill, new_load_average, demand = np.empty(n), np.empty(n), np.empty(n)
    new_strain, new_recognition, new_habituation = np.empty(n), np.empty(n), np.empty(n)
    new_engagement = np.empty(n)
    new_tenure = tenure + active
    new_utilisation = dyn.drift(utilisation, dyn.utilisation_today(
        offered, roster_count * capacity), dyn.LOAD_SMOOTHING)
    for i in range(n):
        g = group[i]
        practised = skill[i]
        if (routine_hours > 0 and active[i]
                and (day + employee_phase[i]) % org.ROUTINE_TRAINING_CYCLE == 0):
            practised = train_position(i, practised, routine_hours, training_effect,
                                       learning_per_hour, day, training_hours, last_trained)
        grown = dyn.learning_curve(dyn.skill_decay(practised, skill_decay, skill_floor),
                                   load[i], on_the_job_learning)
        new_skill[i] = grown
        felt = dyn.drift(load_average[i], load[i], dyn.LOAD_SMOOTHING)
        new_load_average[i] = felt
        demand[i] = dyn.job_demand(felt, capacity[g],
                                   new_utilisation[g] if is_frontline[i] else 0.0)
        boss_coaches = coaches[boss[i]] or is_executive[i]
        support = dyn.manager_support(is_frontline[i], boss_coaches, coaches[i])
        resources = dyn.job_resources(grown, empowerment[i], crm, support,
                                      1.0 - department_silo[department[i]])
        new_strain[i] = dyn.strain_update(strain[i], demand[i], resources, strain_build_rate,
                                          strain_recovery_rate)
        new_recognition[i] = dyn.fade(recognition[i], recognition_fade_days)
        new_habituation[i] = dyn.fade(habituation[i], dyn.HABITUATION_HALF_LIFE)
        target = dyn.engagement_target(resources, new_strain[i], signal[i],
                                       new_recognition[i], centricity[i], change_fatigue[g],
                                       disposition[i] + position_climate[i])
        new_engagement[i] = dyn.clip01(
            engagement[i] + engagement_rate * (target - engagement[i])
            + social_influence_rate * (peer_engagement[i] - engagement[i]))
    filled = np.flatnonzero(active)
    demand_mean = numpy_sum(demand[filled]) / filled.size if filled.size else 0.0
    digital_skill, digital_centricity = digital_channel(digital_positions, active, new_skill,
                                                       centricity)
    return (new_skill, new_load_average, new_utilisation, new_strain, new_recognition,
            new_habituation, new_engagement, new_tenure, demand_mean, digital_skill,
            digital_centricity)


@jit
def train_position(i, skill, hours, training_effect, learning_per_hour, day, training_hours,
                   last_trained):
    """One training session of ``hours`` for position ``i`` whose skill is ``skill``: its
    hours and day are booked (``training_hours``, ``last_trained``, in place) and the
    skill it reaches is returned (learning curve at ``hours x training_effect``). The one
    rule for routine training (:func:`work_and_engage`) and programmes
    (:meth:`CXModel.train`); compiled."""
    training_hours[i] += hours
    last_trained[i] = day
    return dyn.learning_curve(skill, hours * training_effect, learning_per_hour)


@jit
def train_positions(rows, hours, training_effect, learning_per_hour, day, skill,
                    training_hours, last_trained):
    """:func:`train_position` for every position in ``rows`` (``skill`` updated in place;
    compiled)."""
    for i in rows:
        skill[i] = train_position(i, skill[i], hours, training_effect, learning_per_hour,
                                  day, training_hours, last_trained)


def group_capacity(model: CXModel, capacity_lever: float) -> np.ndarray:
    """:func:`~cxsim.core.dynamics.group_capacity` at the model's parameters and today's
    capacity lever (kept while the lever does not change)."""
    cached = model._group_capacity
    if cached is None or cached[0] != capacity_lever:
        p = model.params
        cached = model._group_capacity = (capacity_lever, dyn.group_capacity(
            p.contact_capacity, capacity_lever, p.manager_service_share, model.n_departments))
    return cached[1]


def measure_digital_channel(model: CXModel) -> None:
    """The digital channel is as good as its tools and the staff who run it."""
    model._digital_skill, model._digital_centricity = digital_channel(
        model._digital_positions, model.active, model.skill, model.centricity)


@jit
def digital_channel(digital_positions, active, skill, centricity):
    """The digital channel's staff's mean skill and centricity (0 without staff;
    compiled)."""
    staff = np.flatnonzero(digital_positions & active)
    if staff.size == 0:
        return 0.0, 0.0
    return (numpy_sum(skill[staff]) / staff.size,
            numpy_sum(centricity[staff]) / staff.size)
