"""Phase: service. Customers whose contact day is today contact the organisation; each
contact is served (digital channel or an employee), judged, surveyed, may resolve or
reveal a problem and end in renewal or churn; the customer's next contact is scheduled.
The contacts are served one after another by a compiled kernel (:func:`serve_contacts`,
see :mod:`cxsim.engine.compiled`); every draw is the customer's own for the day
(:mod:`cxsim.core.streams`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core.enums import ContactOutcome, Level
from cxsim.core.streams import bits_of, geometric_of, normal, normal_pair, uniform_pair
from cxsim.engine.compiled import jit
from cxsim.engine.metrics import contact_outcome
from cxsim.engine.phases.customers import CHURNED, NEVER, left_market

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel

EXECUTIVE, MANAGER, FRONTLINE = Level
NO_PROBLEM, RESOLVED_FIRST, RESOLVED_REPEAT, UNRESOLVED = (int(o) for o in ContactOutcome)
LEFT = int(CHURNED)
#: The streams every contact draws from, one hash each: touchpoint and channel; server;
#: quality noise; resolution or defect, and survey response; renewal or churn, and pain
#: point received; finding a manager, reaching someone; survey answers' noise; a new
#: problem's route and handoff need; a repeat contact's delay.
CONTACT_PURPOSES = ("route", "server", "service_noise", "outcome", "departure", "queue",
                    "survey_answers", "problem", "repeat_delay")
ROUTE, SERVER, SERVICE_NOISE, OUTCOME, DEPARTURE, QUEUE, SURVEY_ANSWERS, PROBLEM, \
    REPEAT_DELAY = range(len(CONTACT_PURPOSES))


def serve_customers(model: CXModel) -> None:
    """Customers whose contact day is today contact the organisation: about an open
    problem, else the next acquisition touchpoint (new customers, one a day), else
    renewal when due, else onboarding while new, else a routine touchpoint. Each contact
    is served (digital channel or an employee), judged, surveyed, may resolve or reveal a
    problem and end in renewal or churn; the customer's next contact is scheduled.

    The contacts are served by :func:`serve_contacts` (compiled); what stays here is the
    bookkeeping that reaches beyond the model's arrays: churn, the day's counters and
    tallies."""
    p, lv, day = model.params, model.levers, model.day
    manager_key, can_escalate, frontline_key = touchpoint_groups(model)
    keys = model._contact_keys
    if keys is None:
        keys = model._contact_keys = np.array([model.streams.key(purpose)
                                               for purpose in CONTACT_PURPOSES])
    (customers, touchpoint, problem, server, serving_dept, team, quality, answered, csat,
     nps, first_contact, resolved, abandoned, revealed, pain_tp, received, leave,
     contacts_so_far, resolution_days, outcomes, wait, unreached, new_rate, old_rate,
     promoters, detractors, _) = serve_contacts(
        day, keys, model.streams.key("contact_calendar"), 1.0 / p.contact_interval_days,
        model.c_next_contact, model.c_start_day, p.onboarding_days, model._routine_tps,
        model._routine_cum, model._onboarding_tps, model._onboarding_cum,
        model._acquisition_tps, model.renewal_tp, model.tp_digital, model.tp_owner,
        model.tp_effort, model.tp_is_renewal, model.defect_rate, manager_key, can_escalate,
        frontline_key, model.utilisation, model.offered, *server_tables(model),
        model.department, model.level, model.skill, model.engagement, model.centricity,
        model.empowerment, model.load, model.department_silo, model.c_unit,
        model.c_problem_open, model.c_problem_source, model.c_problem_route,
        model.c_problem_contacts, model.c_problem_start, model.c_needs_handoff,
        model.c_satisfaction, model.c_expectation, model.c_mean_affect, model.c_peak_affect,
        model.c_end_affect, model.c_loyalty, model.c_acquisition_step, model.c_renewal_day,
        model.c_calendar_day, model.c_calendar_index, model.c_value, model.c_spend_rate,
        model.c_last_outcome, model.c_last_contact_outcome, model.outcome_customers,
        model.churn_by_outcome, model.c_status, model.team, model.digital_department,
        model.support_tp, dyn.digital_capability(lv.crm, model._digital_skill),
        model._digital_centricity, lv.digital_share, lv.crm, lv.coordination, lv.voc,
        lv.guidelines.ravel(), np.ascontiguousarray(lv.ownership[:, FRONTLINE]),
        np.ascontiguousarray(lv.shared_metrics[:, MANAGER]), p.escalate_after,
        p.abandonment_rate, p.context_loss, p.noise_sd, p.inconsistency_factor,
        p.max_contacts, p.wait_penalty, p.loss_aversion, p.memory_rate, p.peak_decay,
        p.peak_weight, p.end_weight, p.satisfaction_gain, p.satisfaction_offset,
        p.loyalty_rate, p.expectation_adaptation, p.response_rate, p.handoff_need,
        p.renewal_midpoint, p.renewal_gain, p.contact_churn_hazard, p.churn_sensitivity,
        p.contract_days, p.spend_loyalty_elasticity, 1.0 / p.repeat_delay_days)
    if customers.size == 0:
        return
    model.promoters += promoters
    model.detractors += detractors
    model.revenue_rate += float(new_rate.sum() - old_rate.sum())
    left_market(model, customers[leave])
    model.today["unreached"] += int(unreached.sum())
    model.today["waited"] += float(wait.sum())
    model.recorder.tally_interactions(
        touchpoint=touchpoint, department=serving_dept, team=team, quality=quality,
        answered=answered, csat=csat, nps=nps, problem=problem,
        first_contact=first_contact, resolved=resolved, revealed=revealed, pain_tp=pain_tp,
        pain_received=received, contacts_so_far=contacts_so_far,
        resolution_days=resolution_days, abandoned=abandoned, customers=customers,
        churned=leave, outcomes=outcomes)


@jit
def serve_contacts(day, keys, calendar_key, contact_probability, c_next_contact, c_start_day,
                   onboarding_days, routine_tps, routine_cum, onboarding_tps, onboarding_cum,
                   acquisition_tps, renewal_tp, tp_digital, tp_owner, tp_effort,
                   tp_is_renewal, defect_rate, tp_manager_key, tp_can_escalate,
                   tp_frontline_key, utilisation, offered, n_units, unit_position_count,
                   unit_position_start, unit_positions_by_key, position_start,
                   position_count, positions_by_key, active, unit_roster_count,
                   unit_roster_start, unit_roster, roster_count, roster_start, roster,
                   department, level, skill_of, engagement_of, centricity_of, empowerment_of,
                   load, department_silo, c_unit, c_problem_open, c_problem_source,
                   c_problem_route, c_problem_contacts, c_problem_start, c_needs_handoff,
                   c_satisfaction, c_expectation, c_mean_affect, c_peak_affect, c_end_affect,
                   c_loyalty, c_acquisition_step, c_renewal_day, c_calendar_day,
                   c_calendar_index, c_value, c_spend_rate, c_last_outcome,
                   c_last_contact_outcome, outcome_customers, churn_by_outcome, c_status,
                   team_of, digital_department, support_tp, digital_capability,
                   digital_centricity, digital_share, crm, coordination, voc, guidelines,
                   frontline_ownership, manager_shared_metrics, escalate_after,
                   abandonment_rate, context_loss, noise_sd, inconsistency_factor,
                   max_contacts, wait_penalty, loss_aversion, memory_rate, peak_decay,
                   peak_weight, end_weight, satisfaction_gain, satisfaction_offset,
                   loyalty_rate, expectation_adaptation, response_rate, handoff_need,
                   renewal_midpoint, renewal_gain, contact_churn_hazard, churn_sensitivity,
                   contract_days, spend_loyalty_elasticity, repeat_probability):
    """Today's contacts, served and judged one after another (compiled; the model's arrays
    are updated in place). Every draw is the customer's own for today, a hash of
    (purpose, day, customer) for each of :data:`CONTACT_PURPOSES` (``keys``: their
    streams' keys); contacts are of distinct customers, so their order does not matter,
    but sums are kept in the order numpy's ``bincount`` keeps.

    Returns the customers who contact today and, one entry per contact: the touchpoint,
    whether it is about a problem, the server (-1: digital channel or nobody), the
    serving department, quality, whether a survey was answered (and the CSAT and NPS
    answers of those), resolved, abandoned, revealed, leave, contacts so far, the wait,
    unreached, the new and old spend rates; one entry per problem contact: the pain
    point's touchpoint and whether it reached its cause; and the changes in promoters and
    detractors."""
    customers = np.flatnonzero(c_next_contact == day)
    n = customers.size
    # --- by (department, level) group: the managers' room for escalations (the share of
    # escalations they can take), the chance a contact reaches someone (nobody there:
    # nobody to reach) and the wait, at the group's utilisation
    room = dyn.manager_room(utilisation)
    reach = np.where(roster_count > 0, dyn.reach_probability(utilisation, abandonment_rate),
                     0.0)
    wait_of = dyn.wait_index(utilisation)
    handoff_base = dyn.handoff_loss(1.0, crm, coordination, context_loss)
    escalations = np.zeros(offered.size)
    queue = np.zeros(offered.size)
    served = np.zeros(load.size)
    touchpoint = np.empty(n, dtype=np.int64)
    problem = np.empty(n, dtype=np.bool_)
    server = np.empty(n, dtype=np.int64)
    serving_dept = np.empty(n, dtype=np.int64)
    team = np.empty(n, dtype=np.int64)
    first_contact = np.empty(n, dtype=np.bool_)
    resolution_days = np.empty(n, dtype=np.int64)
    outcomes = np.empty(n, dtype=np.int8)
    quality = np.empty(n)
    satisfaction = np.empty(n)
    wait = np.empty(n)
    new_rate = np.empty(n)
    old_rate = np.empty(n)
    contacts_so_far = np.empty(n, dtype=np.int64)
    answers = np.empty(n, dtype=np.uint64)
    answered = np.empty(n, dtype=np.bool_)
    resolved = np.empty(n, dtype=np.bool_)
    abandoned = np.empty(n, dtype=np.bool_)
    revealed = np.empty(n, dtype=np.bool_)
    unreached = np.empty(n, dtype=np.bool_)
    leave = np.empty(n, dtype=np.bool_)
    pain_tp = np.empty(n, dtype=np.int64)
    received = np.empty(n, dtype=np.bool_)
    promoters = detractors = pains = 0
    # touch each contact's record first (a field in each of its cache lines): the loads
    # are independent, so they overlap, and the contacts below find their records cached
    touched = 0.0
    for i in range(n):
        c = customers[i]
        touched += (c_unit[c] + c_satisfaction[c] + c_calendar_index[c]
                    + c_problem_contacts[c] + c_spend_rate[c])
    for i in range(n):
        c = customers[i]
        route_draw, channel_draw = uniform_pair(bits_of(keys[ROUTE], day, c))
        # --- the touchpoint: about an open problem, else the next acquisition touchpoint,
        # else renewal when due, else onboarding while new, else a routine touchpoint
        is_problem = c_problem_open[c]
        acquiring = not is_problem and c_acquisition_step[c] >= 0
        if is_problem:
            tp = c_problem_route[c]
        elif acquiring:
            tp = acquisition_tps[c_acquisition_step[c]]
        elif c_renewal_day[c] <= day:
            tp = renewal_tp
        elif day - c_start_day[c] < onboarding_days:
            tp = onboarding_tps[np.searchsorted(onboarding_cum, route_draw)]
        else:
            tp = routine_tps[np.searchsorted(routine_cum, route_draw)]
        touchpoint[i], problem[i] = tp, is_problem
        # --- who serves: the digital channel or an employee of the owning department
        kind = tp_digital[tp]
        optional_digital = kind == 1
        digital = not is_problem and (kind == 2 or (optional_digital
                                                    and channel_draw < digital_share))
        so_far = c_problem_contacts[c] + 1 if is_problem else 0
        contacts_so_far[i] = so_far
        # --- capacity and waiting: an escalation goes to a manager with room, else to a
        # frontline colleague; a contact reaches someone as its group's utilisation allows
        # (it waits, and may give up); one that reaches nobody goes digital only where a
        # channel is designed to take it (an optional digital touchpoint, not a problem)
        room_draw, reach_draw = uniform_pair(bits_of(keys[QUEUE], day, c))
        effort = dyn.PROBLEM_EFFORT if is_problem else tp_effort[tp]
        manager = tp_manager_key[tp]
        escalated = False
        if is_problem and so_far >= escalate_after and tp_can_escalate[tp]:
            escalations[manager] += effort
            escalated = room_draw < room[manager]
        key = manager if escalated else tp_frontline_key[tp]
        frontline = not digital and not escalated
        missed = frontline and reach_draw >= reach[key]
        to_digital = missed and not is_problem and optional_digital
        queued = frontline and not to_digital
        if queued:
            queue[key] += effort
        digital = digital or to_digital
        missed = missed and not to_digital
        unreached[i] = missed
        waited = wait_of[key] if queued else 0.0
        wait[i] = waited
        who = -1
        if not digital and not missed:
            position_draw, roster_draw = uniform_pair(bits_of(keys[SERVER], day, c))
            who = pick_one(key, position_draw, roster_draw, c_unit[c], n_units,
                           unit_position_count, unit_position_start, unit_positions_by_key,
                           position_start, position_count, positions_by_key, active,
                           unit_roster_count, unit_roster_start, unit_roster, roster_count,
                           roster_start, roster)
        server[i] = who
        team[i] = team_of[who] if who >= 0 else -1
        if who >= 0:
            dept = department[who]
            skill, engagement = skill_of[who], engagement_of[who]
            centricity, authority = centricity_of[who], empowerment_of[who]
            contact_guidelines = guidelines[dept * 3 + level[who]]
            served[who] += effort
        else:
            dept = tp_owner[tp] if missed else digital_department
            skill = engagement = digital_capability
            centricity, authority = digital_centricity, 0.0
            contact_guidelines = guidelines[dept * 3 + level[0]]
        serving_dept[i] = dept
        # --- handoffs: a problem caused elsewhere loses context crossing silos
        cause_dept = tp_owner[c_problem_source[c]]
        needs_handoff = is_problem and c_needs_handoff[c] and dept != cause_dept
        loss = handoff_base * department_silo[cause_dept] if needs_handoff else 0.0
        contact_quality = 0.0 if missed else dyn.interaction_quality(
            skill, engagement, centricity, authority, crm, contact_guidelines, loss,
            normal(bits_of(keys[SERVICE_NOISE], day, c)), noise_sd, inconsistency_factor)
        quality[i] = contact_quality
        # --- problems: resolution, repeats, abandonment; new problems revealed (one draw:
        # a problem contact can resolve, another contact can reveal a defect)
        outcome_draw, survey_draw = uniform_pair(bits_of(keys[OUTCOME], day, c))
        is_resolved = is_problem and not missed and outcome_draw < dyn.resolution_probability(
            skill, authority, crm, needs_handoff, loss, centricity)
        is_abandoned = is_problem and not is_resolved and so_far >= max_contacts
        is_revealed = not is_problem and not missed and outcome_draw < defect_rate[tp]
        resolved[i], abandoned[i], revealed[i] = is_resolved, is_abandoned, is_revealed
        experience = dyn.waited_experience(
            dyn.contact_experience(contact_quality, is_problem, is_resolved, so_far,
                                   is_abandoned, is_revealed), waited, wait_penalty)
        # --- judgement: disconfirmation, peak-end memory, satisfaction, loyalty
        before = c_satisfaction[c]
        affect = dyn.disconfirmation_affect(experience, c_expectation[c], loss_aversion)
        mean_affect, peak_affect = dyn.remember(c_mean_affect[c], c_peak_affect[c], affect,
                                                memory_rate, peak_decay)
        judged = dyn.judged_satisfaction(mean_affect, peak_affect, affect, peak_weight,
                                         end_weight, satisfaction_gain, satisfaction_offset)
        c_mean_affect[c], c_peak_affect[c], c_end_affect[c] = mean_affect, peak_affect, affect
        c_satisfaction[c] = judged
        satisfaction[i] = judged
        loyalty = dyn.drift(c_loyalty[c], judged, loyalty_rate)
        c_loyalty[c] = loyalty
        c_expectation[c] = dyn.drift(c_expectation[c], experience, expectation_adaptation)
        promoters += ((judged >= dyn.PROMOTER_SATISFACTION)
                      - (before >= dyn.PROMOTER_SATISFACTION))
        detractors += ((judged < dyn.DETRACTOR_SATISFACTION)
                       - (before < dyn.DETRACTOR_SATISFACTION))
        answered[i] = survey_draw < response_rate
        answers[i] = bits_of(keys[SURVEY_ANSWERS], day, c)
        # --- problem bookkeeping: a problem closed (its outcome recorded) or still open;
        # a new one opened, routed to its source if the source owns CX, else to support
        if is_resolved or is_abandoned:
            outcome = (UNRESOLVED if is_abandoned
                       else RESOLVED_FIRST if so_far == 1 else RESOLVED_REPEAT)
            outcome_customers[c_last_outcome[c]] -= 1
            outcome_customers[outcome] += 1
            c_last_outcome[c] = outcome
            c_problem_open[c] = False
        elif is_problem:
            c_problem_contacts[c] += 1
        if is_revealed:
            problem_route_draw, handoff_draw = uniform_pair(bits_of(keys[PROBLEM], day, c))
            at_source = problem_route_draw < frontline_ownership[tp_owner[tp]]
            c_problem_open[c] = True
            c_problem_source[c] = tp
            c_problem_route[c] = tp if at_source and kind != 2 else support_tp
            c_problem_contacts[c] = 0
            c_problem_start[c] = day
            c_needs_handoff[c] = handoff_draw < handoff_need
        # --- pain points reach the causing department through ties, metrics, systems or
        # a formal voice-of-customer loop
        departure_draw, pain_draw = uniform_pair(bits_of(keys[DEPARTURE], day, c))
        if is_problem:
            source = c_problem_source[c]
            cause = tp_owner[source]
            pain_tp[pains] = source
            received[pains] = dept == cause or pain_draw < dyn.pain_flow(
                department_silo[cause], manager_shared_metrics[cause], crm, voc)
            pains += 1
        # --- renewal and churn (one draw: a renewal contact renews or not, any other
        # contact may end in churn)
        if acquiring:
            leaves = False
            step = c_acquisition_step[c] + 1
            c_acquisition_step[c] = step if step < acquisition_tps.size else -1
        elif tp_is_renewal[tp]:
            leaves = departure_draw >= dyn.renewal_probability(loyalty, renewal_midpoint,
                                                               renewal_gain)
            if not leaves:
                c_renewal_day[c] += contract_days
        else:
            leaves = departure_draw < dyn.contact_churn_probability(
                judged, contact_churn_hazard, churn_sensitivity)
        leave[i] = leaves
        first_contact[i] = is_problem and so_far == 1
        outcomes[i] = contact_outcome(is_problem, first_contact[i], is_resolved, is_abandoned)
        c_last_contact_outcome[c] = outcomes[i]
        resolution_days[i] = day - c_problem_start[c]
        rate = 0.0 if leaves else c_value[c] * dyn.spend_multiplier(
            loyalty, spend_loyalty_elasticity) / 365.0
        new_rate[i], old_rate[i] = rate, c_spend_rate[c]
        c_spend_rate[c] = rate
        # --- one who leaves leaves the market (a problem still open leaves unresolved);
        # one who stays contacts again: a repeat contact while a problem is open, the next
        # acquisition touchpoint tomorrow, else the next day of the customer's calendar
        # (no later than the renewal day)
        if leaves:
            promoters -= judged >= dyn.PROMOTER_SATISFACTION
            detractors -= judged < dyn.DETRACTOR_SATISFACTION
            if c_problem_open[c]:
                outcome_customers[c_last_outcome[c]] -= 1
                outcome_customers[UNRESOLVED] += 1
                c_last_outcome[c] = UNRESOLVED
            churn_by_outcome[c_last_outcome[c]] += 1
            outcome_customers[c_last_outcome[c]] -= 1
            c_status[c] = LEFT
            c_next_contact[c] = NEVER
            c_problem_open[c] = False
        else:
            if c_problem_open[c]:
                c_next_contact[c] = day + geometric_of(bits_of(keys[REPEAT_DELAY], day, c),
                                                       repeat_probability)
            elif c_acquisition_step[c] >= 0:
                c_next_contact[c] = day + 1
            else:
                calendar = advance_one(c, day, c_calendar_day, c_calendar_index,
                                       calendar_key, contact_probability)
                renewal_day = c_renewal_day[c]
                c_next_contact[c] = (min(calendar, renewal_day) if renewal_day > day
                                     else calendar)
    offered += escalations
    offered += queue
    load += served
    # --- survey answers
    csat_noise, nps_noise = normal_pair(answers[answered])  # survey_answers
    csat = dyn.csat_answer(satisfaction[answered], csat_noise)
    nps = dyn.nps_answer(satisfaction[answered], nps_noise)
    return (customers, touchpoint, problem, server, serving_dept, team, quality, answered,
            csat, nps, first_contact, resolved, abandoned, revealed, pain_tp[:pains],
            received[:pains], leave, contacts_so_far, resolution_days, outcomes, wait,
            unreached, new_rate, old_rate, promoters, detractors, touched)


def advance_calendars(model: CXModel, customers: np.ndarray, day: int) -> np.ndarray:
    """Move each customer's routine-contact calendar to its first day after ``day``, and
    return those days (aligned with ``customers``, which must be distinct).

    Calendar day ``k`` of a customer is calendar day ``k - 1`` plus a geometric gap
    drawn for (customer, ``k``): the same sequence in every run with this seed."""
    return advance(customers, day, model.c_calendar_day, model.c_calendar_index,
                   model.streams.key("contact_calendar"),
                   1.0 / model.params.contact_interval_days)


@jit
def advance(customers, day, calendar_day, calendar_index, key, p):
    """:func:`advance_calendars` on the calendars' arrays (compiled; ``key``: the
    ``contact_calendar`` stream's, ``p``: the daily chance of a routine contact)."""
    calendar = np.empty(customers.size, dtype=np.int64)
    for i in range(customers.size):
        calendar[i] = advance_one(customers[i], day, calendar_day, calendar_index, key, p)
    return calendar


@jit
def advance_one(customer, day, calendar_day, calendar_index, key, p):
    """:func:`advance` for one customer: returns its first calendar day after ``day``."""
    next_day, index = calendar_day[customer], calendar_index[customer]
    while next_day <= day:
        index += 1
        next_day += geometric_of(bits_of(key, index, customer), p)
    calendar_day[customer], calendar_index[customer] = next_day, index
    return next_day


def touchpoint_groups(model: CXModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each touchpoint's service groups (row ``department * 3 + level`` after the roster
    fallback), so that each contact needs one lookup: the group that takes its
    escalations (its owner's managers, or the fallback), whether it can (a manager level
    with someone in it), and the group that serves its other contacts (its owner's
    frontline, or the fallback). Kept until the rosters are refreshed."""
    fallback, count = model._roster_fallback, model._roster_count
    cached = model._touchpoint_groups
    if cached is None or cached[0] is not fallback or cached[1] is not count:
        owner3 = model.tp_owner * 3
        manager_key = fallback[owner3 + MANAGER]
        cached = model._touchpoint_groups = (
            fallback, count, manager_key,
            (manager_key % 3 != FRONTLINE) & (count[manager_key] > 0),
            fallback[owner3 + FRONTLINE])
    return cached[2], cached[3], cached[4]


def server_tables(model: CXModel) -> tuple:
    """The model's position and roster indexes, in the order :func:`pick` takes them
    after its draws and units."""
    return (model.n_units, model._unit_position_count, model._unit_position_start,
            model._unit_positions_by_key, model._position_start, model._position_count,
            model._positions_by_key, model.active, model._unit_roster_count,
            model._unit_roster_start, model._unit_roster, model._roster_count,
            model._roster_start, model._roster)


def pick_servers(model: CXModel, department: np.ndarray, level: np.ndarray,
                 position_draw: np.ndarray, roster_draw: np.ndarray,
                 unit: np.ndarray) -> np.ndarray:
    """A random filled position of each (department, level), in the customer's business
    ``unit`` where the group has positions there; -1 if none at all (see :func:`pick`)."""
    return pick(model._roster_fallback[department * 3 + level], position_draw, roster_draw,
                unit, *server_tables(model))


@jit
def pick(key, position_draw, roster_draw, unit, n_units, unit_position_count,
         unit_position_start, unit_positions_by_key, position_start, position_count,
         positions_by_key, active, unit_roster_count, unit_roster_start, unit_roster,
         roster_count, roster_start, roster):
    """:func:`pick_one` for each of ``key`` (compiled)."""
    server = np.empty(key.size, dtype=np.int64)
    for i in range(key.size):
        server[i] = pick_one(key[i], position_draw[i], roster_draw[i], unit[i], n_units,
                             unit_position_count, unit_position_start,
                             unit_positions_by_key, position_start, position_count,
                             positions_by_key, active, unit_roster_count, unit_roster_start,
                             unit_roster, roster_count, roster_start, roster)
    return server


@jit
def pick_one(key, position_draw, roster_draw, unit, n_units, unit_position_count,
             unit_position_start, unit_positions_by_key, position_start, position_count,
             positions_by_key, active, unit_roster_count, unit_roster_start, unit_roster,
             roster_count, roster_start, roster):
    """A random filled position of the group ``key`` (``department * 3 + level`` after the
    roster fallback), in the customer's business ``unit`` where the group has positions
    there; -1 if none at all (compiled; ``position_draw`` and ``roster_draw``: uniform
    numbers in [0, 1)).

    A position of the (department, level[, unit]) is drawn among all its positions,
    filled or not; if it is vacant, a filled one is drawn from the roster of the unit,
    else of the whole group. Each filled position is equally likely, and a run whose
    workforce differs from another's by a few vacancies picks the same server for most
    contacts (common random numbers)."""
    last = active.size - 1
    unit_key = key * n_units + unit
    count = unit_position_count[unit_key]
    if count > 0:
        server = unit_positions_by_key[min(
            unit_position_start[unit_key] + np.int64(position_draw * count), last)]
        if not active[server]:  # a vacant position: a filled one of the unit's roster
            filled = unit_roster_count[unit_key]
            if filled > 0:
                server = unit_roster[min(unit_roster_start[unit_key]
                                         + np.int64(roster_draw * filled),
                                         unit_roster.size - 1)]
    else:
        server = positions_by_key[min(
            position_start[key] + np.int64(position_draw * position_count[key]), last)]
    if not active[server]:  # a filled position from the roster instead (-1: there is none)
        filled = roster_count[key]
        if filled == 0:
            return -1
        server = roster[min(roster_start[key] + np.int64(roster_draw * filled),
                            roster.size - 1)]
    return server
