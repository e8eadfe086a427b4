"""Phase: workforce. The leadership signal cascades, peers influence each other through
the informal network, and every position's customer-centricity, empowerment, skill,
strain, recognition and engagement move one day toward their targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core import organisation as org
from cxsim.core.enums import Level

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel

EXECUTIVE, MANAGER, FRONTLINE = Level


def update_workforce(model: CXModel) -> None:
    p, lv = model.params, model.levers
    level, active = model.level, model.active
    # each position's (department, level) group and its department's manager and executive
    # groups: flat indices into the levers' (department, level) tables
    group, manager_group, executive_group = (model._position_group, model._manager_group,
                                             model._executive_group)
    coaches = (model.coach_draw < np.take(lv.coaching, manager_group)) & active
    signal = dyn.cascade_signal(np.take(lv.commitment, executive_group), level, model.boss,
                                coaches, p.coaching_amplification, p.non_coaching_damping)
    weight = model.edge_weight * active[model.edge_source]
    peer_engagement, _ = dyn.neighbour_mean(model.engagement, model.edge_source,
                                            model.edge_target, weight)
    peer_centricity, _ = dyn.neighbour_mean(model.centricity, model.edge_source,
                                            model.edge_target, weight)
    ownership = np.take(lv.ownership, group)
    centricity_target = dyn.centricity_target(signal, ownership,
                                              np.take(lv.shared_metrics, group))
    model.centricity = dyn.clip01(
        model.centricity + p.leadership_rate * (centricity_target - model.centricity)
        + p.social_influence_rate * (peer_centricity - model.centricity))
    model.empowerment = dyn.drift(model.empowerment, np.take(lv.authority, group),
                                  dyn.EMPOWERMENT_DRIFT)
    routine = active & ((model.day + model.employee_phase) % org.ROUTINE_TRAINING_CYCLE == 0)
    if p.routine_training_hours > 0 and routine.any():
        model.train(routine, p.routine_training_hours / 2.0)
    model.skill = dyn.skill_decay(model.skill, p.skill_decay, p.skill_floor)
    model.skill = dyn.learning_curve(model.skill, model.load, p.on_the_job_learning)
    capacity = group_capacity(model, lv.capacity)
    model.utilisation = dyn.drift(model.utilisation, dyn.utilisation_today(
        model.offered, model._roster_count * capacity), dyn.LOAD_SMOOTHING)
    model.load_average = dyn.drift(model.load_average, model.load, dyn.LOAD_SMOOTHING)
    is_frontline = model._is_frontline
    demand = dyn.job_demand(model.load_average, capacity[group],
                            np.where(is_frontline, model.utilisation[group], 0.0))
    boss_coaches = coaches[model.boss] | model._is_executive
    support = dyn.manager_support(is_frontline, boss_coaches, coaches)
    resources = dyn.job_resources(model.skill, model.empowerment, lv.crm, support,
                                  1.0 - model.department_silo[model.department])
    model.strain = dyn.strain_update(model.strain, demand, resources, p.strain_build_rate,
                                     p.strain_recovery_rate)
    model.recognition = dyn.fade(model.recognition, p.recognition_fade_days)
    model.habituation = dyn.fade(model.habituation, dyn.HABITUATION_HALF_LIFE)
    target = dyn.engagement_target(resources, model.strain, signal, model.recognition,
                                   model.centricity, np.take(lv.change_fatigue, group),
                                   model.disposition + model.position_climate)
    model.engagement = dyn.clip01(
        model.engagement + p.engagement_rate * (target - model.engagement)
        + p.social_influence_rate * (peer_engagement - model.engagement))
    model.tenure += active
    filled = np.flatnonzero(active)
    # as demand[active].mean()
    model.today["demand_mean"] = float(demand[filled].sum() / filled.size) if filled.size else 0.0
    measure_digital_channel(model)


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
    staff = np.flatnonzero(model._digital_positions & model.active)
    # as skill[staff].mean(), centricity[staff].mean()
    model._digital_skill = float(model.skill[staff].sum() / staff.size) if staff.size else 0.0
    model._digital_centricity = (float(model.centricity[staff].sum() / staff.size)
                                 if staff.size else 0.0)
