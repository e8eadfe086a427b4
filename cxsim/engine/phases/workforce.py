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
    dept, level, active = model.department, model.level, model.active
    coaches = (model.coach_draw < lv.coaching[dept, MANAGER]) & active
    signal = dyn.cascade_signal(lv.commitment[dept, EXECUTIVE], level, model.boss, coaches,
                                p.coaching_amplification, p.non_coaching_damping)
    weight = model.edge_weight * active[model.edge_source]
    peer_engagement, _ = dyn.neighbour_mean(model.engagement, model.edge_source,
                                            model.edge_target, weight)
    peer_centricity, _ = dyn.neighbour_mean(model.centricity, model.edge_source,
                                            model.edge_target, weight)
    ownership = lv.ownership[dept, level]
    centricity_target = dyn.centricity_target(signal, ownership,
                                              lv.shared_metrics[dept, level])
    model.centricity = dyn.clip01(
        model.centricity + p.leadership_rate * (centricity_target - model.centricity)
        + p.social_influence_rate * (peer_centricity - model.centricity))
    model.empowerment = dyn.drift(model.empowerment, lv.authority[dept, level],
                                  dyn.EMPOWERMENT_DRIFT)
    routine = active & ((model.day + model.employee_phase) % org.ROUTINE_TRAINING_CYCLE == 0)
    if p.routine_training_hours > 0 and routine.any():
        model.train(routine, p.routine_training_hours / 2.0)
    model.skill = dyn.skill_decay(model.skill, p.skill_decay, p.skill_floor)
    model.skill = dyn.learning_curve(model.skill, model.load, p.on_the_job_learning)
    capacity = dyn.group_capacity(p.contact_capacity, lv.capacity, p.manager_service_share,
                                  model.n_departments)
    model.utilisation = dyn.drift(model.utilisation, dyn.utilisation_today(
        model.offered, model._roster_count * capacity), dyn.LOAD_SMOOTHING)
    model.load_average = dyn.drift(model.load_average, model.load, dyn.LOAD_SMOOTHING)
    demand = dyn.job_demand(model.load_average, capacity[dept * 3 + level],
                            np.where(level == FRONTLINE, model.utilisation[dept * 3 + level],
                                     0.0))
    boss_coaches = coaches[model.boss] | (level == EXECUTIVE)
    support = dyn.manager_support(level == FRONTLINE, boss_coaches, coaches)
    resources = dyn.job_resources(model.skill, model.empowerment, lv.crm, support,
                                  1.0 - model.department_silo[dept])
    model.strain = dyn.strain_update(model.strain, demand, resources, p.strain_build_rate,
                                     p.strain_recovery_rate)
    model.recognition = dyn.fade(model.recognition, p.recognition_fade_days)
    model.habituation = dyn.fade(model.habituation, dyn.HABITUATION_HALF_LIFE)
    target = dyn.engagement_target(resources, model.strain, signal, model.recognition,
                                   model.centricity, lv.change_fatigue[dept, level],
                                   model.disposition)
    model.engagement = dyn.clip01(
        model.engagement + p.engagement_rate * (target - model.engagement)
        + p.social_influence_rate * (peer_engagement - model.engagement))
    model.tenure += active
    model.today["demand_mean"] = float(demand[active].mean()) if active.any() else 0.0
    measure_digital_channel(model)


def measure_digital_channel(model: CXModel) -> None:
    """The digital channel is as good as its tools and the staff who run it."""
    staff = (model.department == model.digital_department) & model.active
    model._digital_skill = float(model.skill[staff].mean()) if staff.any() else 0.0
    model._digital_centricity = float(model.centricity[staff].mean()) if staff.any() else 0.0
