"""Phase: service. Customers whose contact day is today contact the organisation; each
contact is served (digital channel or an employee), judged, surveyed, may resolve or
reveal a problem and end in renewal or churn; the customer's next contact is scheduled.
All in one batch of array operations over today's contacts; every draw is the
customer's own for the day (:mod:`cxsim.core.streams`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core.enums import ContactOutcome, Level
from cxsim.core.streams import geometric, normal, normal_pair, uniform_pair
from cxsim.engine.metrics import contact_outcomes
from cxsim.engine.phases.customers import churn, set_outcome

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel

EXECUTIVE, MANAGER, FRONTLINE = Level
NO_PROBLEM, RESOLVED_FIRST, RESOLVED_REPEAT, UNRESOLVED = ContactOutcome
#: The streams every contact draws from, in one batch: touchpoint and channel; server;
#: quality noise; resolution or defect, and survey response; renewal or churn, and pain
#: point received; finding a manager, reaching someone. Then those some contacts draw
#: from (drawn for all, used for those: a row's draw does not depend on the others):
#: survey answers' noise; a new problem's route and handoff need; a repeat contact's delay.
CONTACT_PURPOSES = ("route", "server", "service_noise", "outcome", "departure", "queue",
                    "survey_answers", "problem", "repeat_delay")
#: The first rows of :data:`CONTACT_PURPOSES`, used as two uniform numbers each.
UNIFORM_PAIRS = 6


def serve_customers(model: CXModel) -> None:
    """Customers whose contact day is today contact the organisation: about an open
    problem, else the next acquisition touchpoint (new customers, one a day), else
    renewal when due, else onboarding while new, else a routine touchpoint."""
    customers = np.flatnonzero(model.c_next_contact == model.day)
    if customers.size == 0:
        return
    problem = model.c_problem_open[customers]
    step = model.c_acquisition_step[customers]
    acquiring = ~problem & (step >= 0)
    renewal = ~problem & ~acquiring & (model.c_renewal_day[customers] <= model.day)
    onboarding = (~problem & ~acquiring & ~renewal
                  & (model.day - model.c_start_day[customers] < model.params.onboarding_days))
    bits = model.streams.bits_many(CONTACT_PURPOSES, model.day, customers)
    uniforms = uniform_pair(bits[:UNIFORM_PAIRS])  # two uniform numbers a row, at once
    touchpoint_draw, channel_draw = uniforms[0][0], uniforms[1][0]
    touchpoint = model._routine_tps[np.searchsorted(model._routine_cum, touchpoint_draw)]
    touchpoint[onboarding] = model._onboarding_tps[
        np.searchsorted(model._onboarding_cum, touchpoint_draw[onboarding])]
    touchpoint[renewal] = model.renewal_tp
    touchpoint[acquiring] = model._acquisition_tps[step[acquiring]]
    touchpoint[problem] = model.c_problem_route[customers[problem]]
    interact(model, customers, touchpoint, problem, acquiring, channel_draw, bits, uniforms)


def interact(model: CXModel, customers: np.ndarray, touchpoint: np.ndarray,
             problem: np.ndarray, acquiring: np.ndarray, channel_draw: np.ndarray,
             bits: np.ndarray, uniforms: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Serve one contact for each customer at ``touchpoint`` and let them judge it.
    ``acquiring`` marks contacts of new customers buying (never ending in churn).

    Every draw is the customer's own for today (see :mod:`cxsim.core.streams`):
    ``bits`` holds the random bits of :data:`CONTACT_PURPOSES` for each contact;
    ``uniforms``, if given, is ``uniform_pair(bits[:UNIFORM_PAIRS])``."""
    p, lv, day = model.params, model.levers, model.day
    high, low = uniform_pair(bits[:UNIFORM_PAIRS]) if uniforms is None else uniforms
    # --- who serves: the digital channel or an employee of the owning department
    routine_contact = ~problem
    tp_digital = model.tp_digital[touchpoint]
    optional_digital = tp_digital == 1
    digital = routine_contact & ((tp_digital == 2)
                                 | (optional_digital & (channel_draw < lv.digital_share)))
    contacts_so_far = np.where(problem, model.c_problem_contacts[customers] + 1, 0)
    owner = model.tp_owner[touchpoint]
    # --- capacity and waiting: an escalation goes to a manager with room (the managers'
    # share of escalations they can take), else to a frontline colleague; a contact
    # reaches someone as its group's utilisation allows (it waits, and may give up); one
    # that reaches nobody goes digital only where a channel is designed to take it (an
    # optional digital touchpoint, and not a problem)
    groups = service_groups(model)
    room_draw, reach_draw = high[5], low[5]
    effort = np.where(problem, dyn.PROBLEM_EFFORT, model.tp_effort[touchpoint])
    manager_key = groups.tp_manager_key[touchpoint]
    wants_manager = (problem & (contacts_so_far >= p.escalate_after)
                     & groups.tp_can_escalate[touchpoint])
    model.offered += np.bincount(manager_key[wants_manager], weights=effort[wants_manager],
                                 minlength=model.offered.size)
    escalated = wants_manager & (room_draw < groups.room[manager_key])
    key = np.where(escalated, manager_key, groups.tp_frontline_key[touchpoint])
    frontline = ~digital & ~escalated
    unreached = frontline & (reach_draw >= groups.reach[key])
    to_digital = unreached & routine_contact & optional_digital
    queued = frontline & ~to_digital
    model.offered += np.bincount(key[queued], weights=effort[queued],
                                 minlength=model.offered.size)
    digital |= to_digital
    unreached &= ~to_digital
    wait = np.where(queued, groups.wait[key], 0.0)
    server = pick_servers_by_key(model, key, high[1], low[1], model.c_unit[customers])
    server[digital | unreached] = -1
    human = server >= 0
    rows = np.maximum(server, 0)
    serving_dept = np.where(human, model.department[rows],
                            np.where(unreached, owner, model.digital_department))
    digital_capability = dyn.digital_capability(lv.crm, model._digital_skill)
    skill = np.where(human, model.skill[rows], digital_capability)
    engagement = np.where(human, model.engagement[rows], digital_capability)
    centricity = np.where(human, model.centricity[rows], model._digital_centricity)
    authority = np.where(human, model.empowerment[rows], 0.0)
    guidelines = lv.guidelines[serving_dept, model.level[rows]]
    # --- handoffs: a problem caused elsewhere loses context crossing silos
    cause_dept = model.tp_owner[model.c_problem_source[customers]]
    needs_handoff = problem & model.c_needs_handoff[customers] & (serving_dept != cause_dept)
    loss = np.where(needs_handoff,
                    dyn.handoff_loss(1.0, lv.crm, lv.coordination, p.context_loss)
                    * model.department_silo[cause_dept], 0.0)
    quality = np.where(unreached, 0.0, dyn.interaction_quality(
        skill, engagement, centricity, authority, lv.crm, guidelines, loss, normal(bits[2]),
        p.noise_sd, p.inconsistency_factor))
    # --- problems: resolution, repeats, abandonment; new problems revealed (one draw:
    # a problem contact can resolve, another contact can reveal a defect)
    outcome_draw, survey_draw = high[3], low[3]
    resolved = problem & ~unreached & (outcome_draw < dyn.resolution_probability(
        skill, authority, lv.crm, needs_handoff, loss, centricity))
    abandoned = problem & ~resolved & (contacts_so_far >= p.max_contacts)
    revealed = ~problem & ~unreached & (outcome_draw < model.defect_rate[touchpoint])
    experience = dyn.waited_experience(
        dyn.contact_experience(quality, problem, resolved, contacts_so_far, abandoned,
                               revealed), wait, p.wait_penalty)
    # --- judgement: disconfirmation, peak-end memory, satisfaction, loyalty
    satisfaction_before = model.c_satisfaction[customers]
    affect = dyn.disconfirmation_affect(experience, model.c_expectation[customers],
                                        p.loss_aversion)
    mean_affect, peak_affect = dyn.remember(model.c_mean_affect[customers],
                                            model.c_peak_affect[customers], affect,
                                            p.memory_rate, p.peak_decay)
    satisfaction = dyn.judged_satisfaction(mean_affect, peak_affect, affect, p.peak_weight,
                                           p.end_weight, p.satisfaction_gain,
                                           p.satisfaction_offset)
    model.c_mean_affect[customers] = mean_affect
    model.c_peak_affect[customers] = peak_affect
    model.c_end_affect[customers] = affect
    model.c_satisfaction[customers] = satisfaction
    loyalty = dyn.drift(model.c_loyalty[customers], satisfaction, p.loyalty_rate)
    model.c_loyalty[customers] = loyalty
    model.c_expectation[customers] = dyn.drift(model.c_expectation[customers], experience,
                                               p.expectation_adaptation)
    model.promoters += (np.count_nonzero(satisfaction >= dyn.PROMOTER_SATISFACTION)
                        - np.count_nonzero(satisfaction_before >= dyn.PROMOTER_SATISFACTION))
    model.detractors += (np.count_nonzero(satisfaction < dyn.DETRACTOR_SATISFACTION)
                         - np.count_nonzero(satisfaction_before < dyn.DETRACTOR_SATISFACTION))
    # --- survey answers
    answered = survey_draw < p.response_rate
    csat_noise, nps_noise = normal_pair(bits[6][answered])  # survey_answers
    csat = dyn.csat_answer(satisfaction[answered], csat_noise)
    nps = dyn.nps_answer(satisfaction[answered], nps_noise)
    # --- problem bookkeeping
    close_problems(model, customers, problem, resolved, abandoned, contacts_so_far)
    open_problems(model, customers[revealed], touchpoint[revealed], bits[7][revealed])
    still_open = problem & ~resolved & ~abandoned
    model.c_problem_contacts[customers[still_open]] += 1
    # --- pain points reach the causing department through ties, metrics, systems
    departure_draw, pain_draw = high[4], low[4]
    pain_tp = model.c_problem_source[customers[problem]]
    received = pain_received(model, serving_dept[problem], pain_tp, pain_draw[problem])
    # --- renewal and churn (one draw: a renewal contact renews or not, any other
    # contact may end in churn)
    is_renewal = model.tp_is_renewal[touchpoint]
    leave = ~acquiring & np.where(
        is_renewal,
        departure_draw >= dyn.renewal_probability(loyalty, p.renewal_midpoint,
                                                  p.renewal_gain),
        departure_draw < dyn.contact_churn_probability(satisfaction, p.contact_churn_hazard,
                                                       p.churn_sensitivity))
    next_step = model.c_acquisition_step[customers[acquiring]] + 1
    model.c_acquisition_step[customers[acquiring]] = np.where(
        next_step < model._acquisition_tps.size, next_step, -1)
    renewed = is_renewal & ~leave
    model.c_renewal_day[customers[renewed]] += p.contract_days
    new_rate = model.c_value[customers] * dyn.spend_multiplier(
        loyalty, p.spend_loyalty_elasticity) / 365.0
    new_rate[leave] = 0.0
    model.revenue_rate += float(new_rate.sum() - model.c_spend_rate[customers].sum())
    model.c_spend_rate[customers] = new_rate
    churn(model, customers[leave])
    # --- next contact: a repeat contact while a problem is open, the next acquisition
    # touchpoint tomorrow, else the next day of the customer's calendar (no later than
    # the renewal day)
    staying = ~leave
    stay = customers[staying]
    open_now = model.c_problem_open[stay]
    buying = ~open_now & (model.c_acquisition_step[stay] >= 0)
    routine = ~open_now & ~buying
    nxt = np.empty(stay.size, dtype=np.int64)
    nxt[open_now] = day + geometric(bits[8][staying][open_now],  # repeat_delay
                                    1.0 / p.repeat_delay_days)
    nxt[buying] = day + 1
    routine_rows = stay[routine]
    calendar = advance_calendars(model, routine_rows, day)
    renewal_day = model.c_renewal_day[routine_rows]
    nxt[routine] = np.where(renewal_day > day, np.minimum(calendar, renewal_day), calendar)
    model.c_next_contact[stay] = nxt
    # --- employees' load and skill from practice
    model.today["unreached"] += int(unreached.sum())
    model.today["waited"] += float(wait.sum())
    load = np.bincount(server[human], weights=effort[human], minlength=model.n_employees)
    model.load += load
    # --- today's tallies
    first_contact = problem & (contacts_so_far == 1)
    outcomes = contact_outcomes(problem, first_contact, resolved, abandoned)
    model.recorder.tally_interactions(
        touchpoint=touchpoint, department=serving_dept, team=np.where(
            human, model.team[rows], -1), quality=quality, answered=answered, csat=csat,
        nps=nps, problem=problem, first_contact=first_contact,
        resolved=resolved, revealed=revealed, pain_tp=pain_tp, pain_received=received,
        contacts_so_far=contacts_so_far, resolution_days=day - model.c_problem_start[customers],
        abandoned=abandoned, customers=customers, churned=leave, outcomes=outcomes)
    model.c_last_contact_outcome[customers] = outcomes


def advance_calendars(model: CXModel, customers: np.ndarray, day: int) -> np.ndarray:
    """Move each customer's routine-contact calendar to its first day after ``day``, and
    return those days (aligned with ``customers``, which must be distinct).

    Calendar day ``k`` of a customer is calendar day ``k - 1`` plus a geometric gap
    drawn for (customer, ``k``): the same sequence in every run with this seed."""
    p = 1.0 / model.params.contact_interval_days
    calendar = model.c_calendar_day[customers]
    late = np.flatnonzero(calendar <= day)
    if late.size == 0:
        return calendar
    # one calendar day each: enough for most
    behind = customers[late]
    index = model.c_calendar_index[behind] + 1
    model.c_calendar_index[behind] = index
    calendar[late] += model.streams.geometric("contact_calendar", index, behind, p)
    late = late[calendar[late] <= day]
    while late.size:  # those still behind (new customers): many calendar days at once
        behind = customers[late]
        block = int(min(64, 4 + 1.5 * (day - int(calendar[late].min())) * p))
        index = model.c_calendar_index[behind]
        indices = index[:, None] + np.arange(1, block + 1)
        gaps = model.streams.geometric("contact_calendar", indices, behind[:, None], p)
        days = calendar[late][:, None] + np.cumsum(gaps, axis=1)
        after = days > day
        reached = after.any(axis=1)
        first = np.where(reached, after.argmax(axis=1), block - 1)
        model.c_calendar_index[behind] = index + first + 1
        calendar[late] = days[np.arange(late.size), first]
        late = late[~reached]
    model.c_calendar_day[customers] = calendar
    return calendar


class ServiceGroups(NamedTuple):
    """Today's lookups of the service phase, by touchpoint and by (department, level) group
    (row ``department * 3 + level``), so that each contact needs one lookup."""

    #: the group that takes a touchpoint's escalations (its owner's managers, or the
    #: roster fallback), and whether it can (a manager level with someone in it)
    tp_manager_key: np.ndarray
    tp_can_escalate: np.ndarray
    #: the group that serves a touchpoint's other contacts (its owner's frontline, or
    #: the roster fallback)
    tp_frontline_key: np.ndarray
    #: by group: the managers' room for escalations, the chance a contact reaches someone
    #: (0 where nobody is there at all) and the wait index, at the group's utilisation
    room: np.ndarray
    reach: np.ndarray
    wait: np.ndarray


def service_groups(model: CXModel) -> ServiceGroups:
    """The :class:`ServiceGroups` lookups at today's rosters and utilisation (the
    touchpoints' groups are kept until the rosters are refreshed)."""
    fallback, count, utilisation = (model._roster_fallback, model._roster_count,
                                    model.utilisation)
    cached = model._touchpoint_groups
    if cached is None or cached[0] is not fallback or cached[1] is not count:
        owner3 = model.tp_owner * 3
        manager_key = fallback[owner3 + MANAGER]
        cached = model._touchpoint_groups = (
            fallback, count, manager_key,
            (manager_key % 3 != FRONTLINE) & (count[manager_key] > 0),
            fallback[owner3 + FRONTLINE])
    return ServiceGroups(
        tp_manager_key=cached[2],
        tp_can_escalate=cached[3],
        tp_frontline_key=cached[4],
        room=dyn.manager_room(utilisation),
        reach=np.where(count > 0, dyn.reach_probability(
            utilisation, model.params.abandonment_rate), 0.0),  # nobody: nobody to reach
        wait=dyn.wait_index(utilisation))


def pick_servers(model: CXModel, department: np.ndarray, level: np.ndarray,
                 position_draw: np.ndarray, roster_draw: np.ndarray,
                 unit: np.ndarray | None = None) -> np.ndarray:
    """A random filled position of each (department, level), in the customer's business
    ``unit`` where the group has positions there; -1 if none at all.

    A position of the (department, level[, unit]) is drawn among all its positions,
    filled or not; if it is vacant, a filled one is drawn from the roster of the unit,
    else of the whole group. Each filled position is equally likely, and a run whose
    workforce differs from another's by a few vacancies picks the same server for most
    contacts (common random numbers)."""
    return pick_servers_by_key(model, model._roster_fallback[department * 3 + level],
                               position_draw, roster_draw, unit)


def pick_servers_by_key(model: CXModel, key: np.ndarray, position_draw: np.ndarray,
                        roster_draw: np.ndarray, unit: np.ndarray | None = None) -> np.ndarray:
    """:func:`pick_servers` for the groups ``key`` (``department * 3 + level`` after the
    roster fallback)."""
    last = model.n_employees - 1
    unit_key = count = own = None
    if unit is not None:
        unit_key = key * model.n_units + unit
        count = model._unit_position_count[unit_key]
        own = np.flatnonzero(count > 0)
    if own is not None and own.size == key.size:  # every group has positions in the unit
        server = model._unit_positions_by_key[np.minimum(
            model._unit_position_start[unit_key] + (position_draw * count).astype(np.int64),
            last)]
    else:
        server = model._positions_by_key[np.minimum(
            model._position_start[key] + (position_draw * model._position_count[key]).astype(
                np.int64), last)]
        if own is not None and own.size:
            server[own] = model._unit_positions_by_key[np.minimum(
                model._unit_position_start[unit_key[own]]
                + (position_draw[own] * count[own]).astype(np.int64), last)]
    if own is not None and own.size:  # a vacant position: a filled one of the unit's roster
        vacant = (np.flatnonzero(~model.active[server]) if own.size == key.size
                  else own[~model.active[server[own]]])
        filled = model._unit_roster_count[unit_key[vacant]]
        in_unit = vacant[filled > 0]
        pick = (model._unit_roster_start[unit_key[in_unit]]
                + (roster_draw[in_unit] * filled[filled > 0]).astype(np.int64))
        server[in_unit] = model._unit_roster[np.minimum(pick, model._unit_roster.size - 1)]
    vacant = np.flatnonzero(~model.active[server])
    if vacant.size:  # a filled position from the roster instead (-1 if there is none)
        key = key[vacant]
        count = model._roster_count[key]
        pick = model._roster_start[key] + (roster_draw[vacant] * count).astype(np.int64)
        server[vacant] = np.where(count > 0, model._roster[np.minimum(pick,
                                                                      model._roster.size - 1)],
                                  -1)
    return server


def open_problems(model: CXModel, customers: np.ndarray, touchpoint: np.ndarray,
                  bits: np.ndarray | None = None) -> None:
    """Open a problem for each of ``customers``, revealed at ``touchpoint`` (``bits``:
    their bits of the ``problem`` stream today, if drawn already)."""
    if customers.size == 0:
        return
    route_draw, handoff_draw = (model.streams.uniform_pair("problem", model.day, customers)
                                if bits is None else uniform_pair(bits))
    cause = model.tp_owner[touchpoint]
    at_source = route_draw < model.levers.ownership[cause, FRONTLINE]
    route = np.where(at_source & (model.tp_digital[touchpoint] != 2), touchpoint,
                     model.support_tp)
    model.c_problem_open[customers] = True
    model.c_problem_source[customers] = touchpoint
    model.c_problem_route[customers] = route
    model.c_problem_contacts[customers] = 0
    model.c_problem_start[customers] = model.day
    model.c_needs_handoff[customers] = handoff_draw < model.params.handoff_need


def close_problems(model: CXModel, customers: np.ndarray, problem: np.ndarray,
                   resolved: np.ndarray, abandoned: np.ndarray,
                   contacts_so_far: np.ndarray) -> None:
    closing = resolved | abandoned
    if not closing.any():
        return
    outcome = np.where(abandoned, UNRESOLVED,
                       np.where(contacts_so_far == 1, RESOLVED_FIRST, RESOLVED_REPEAT))
    rows = customers[closing]
    set_outcome(model, rows, outcome[closing])
    model.c_problem_open[rows] = False


def pain_received(model: CXModel, serving_dept: np.ndarray, pain_tp: np.ndarray,
                  draw: np.ndarray) -> np.ndarray:
    """Which pain points reach the department that causes them (``draw``: uniform
    numbers, one per pain point)."""
    cause = model.tp_owner[pain_tp]
    lv = model.levers
    flow = dyn.pain_flow(model.department_silo[cause], lv.shared_metrics[cause, MANAGER],
                         lv.crm, lv.voc)
    direct = serving_dept == cause
    return direct | (draw < flow)
