"""CXModel: the Mesa model of organisational CX culture.

One step is one day. A day is a list of phases (see :meth:`CXModel.step`); each
phase updates numpy arrays (one row per employee position or customer) with a
few array operations. Employees are :class:`mesa.Agent` objects that read and
write their own row; customers are too many for one object each and are
inspected through :meth:`CXModel.customer`.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

import mesa
import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core import organisation as org
from cxsim.core.enums import OUTCOME_NAMES, ContactOutcome, CustomerStatus, Level
from cxsim.core.parameters import PARAMETERS, Config, ParameterError
from cxsim.core.streams import RandomStreams, check_seed, fresh_seed
from cxsim.core.structure import Structure
from cxsim.engine.agents import Customer, Employee
from cxsim.engine.interventions import Intervention, Levers, apply_interventions
from cxsim.engine.interventions import from_dict as intervention_from_dict
from cxsim.engine.metrics import DAILY_METRICS, Recorder, new_day_counters

NEVER = np.iinfo(np.int32).max
PROSPECT, ACTIVE, CHURNED = CustomerStatus
EXECUTIVE, MANAGER, FRONTLINE = Level
NO_PROBLEM, RESOLVED_FIRST, RESOLVED_REPEAT, UNRESOLVED = ContactOutcome


class CXModel(mesa.Model):
    """Agent-based model of how an organisation's CX culture reaches its customers.

    Parameters are the names in :data:`cxsim.core.parameters.PARAMETERS` as keyword
    arguments (``CXModel(silo_strength=0.6, rng=42)``), optionally on top of a
    ``config`` (:class:`~cxsim.core.parameters.Config` or a nested mapping). The
    keyword signature is generated from that single declaration, so SolaraViz
    sliders and ``mesa.batch_run`` see every parameter with its default.

    Args:
        config: base configuration; keyword parameters override it.
        interventions: :class:`~cxsim.engine.interventions.Intervention` objects or
            scenario-file tables (``{"type": "training", ...}``).
        structure: departments, touchpoints and segments (default: a mid-sized
            B2C service company).
        rng: the run's seed (a whole number >= 0; None draws a fresh one from the
            operating system, kept as ``model.seed``). Every draw of the engine comes
            from the random streams derived from it (:class:`~cxsim.core.streams.RandomStreams`,
            one per purpose); Mesa's ``model.rng`` and ``model.random`` are seeded with
            it too.

    Raises:
        ParameterError: an unknown parameter, a value out of range, or a bad seed.
    """

    def __init__(self, config: Config | Mapping[str, Any] | None = None, *,
                 interventions: Iterable[Intervention | Mapping[str, Any]] = (),
                 structure: Structure | Mapping[str, Any] | None = None,
                 rng: int | None = None, **parameters: Any):
        self.p, self.structure, ivs = resolve_inputs(config, interventions, structure,
                                                     parameters)
        #: The run's seed (drawn from the operating system if none was given).
        self.seed = fresh_seed() if rng is None else check_seed(rng)
        super().__init__(rng=self.seed)
        #: Counter-based random streams, one per purpose (common random numbers).
        self.streams = RandomStreams(self.seed)
        self.interventions: list[Intervention] = ivs
        self.day = 0
        self.burn_in = self.p.burn_in_days
        self.horizon = self.p.burn_in_days + self.p.days
        self._build_structure_tables()
        self._build_organisation()
        self._build_network()
        self._build_customers()
        for iv in self.interventions:
            iv.initialise(self)
        self.levers = self.baseline_levers()
        self.recorder = Recorder(self)
        self.datacollector = mesa.DataCollector(
            model_reporters=metric_reporters()
        )
        self._reset_today()
        self.recorder.measure(self)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ set-up

    def _build_structure_tables(self) -> None:
        s = self.structure
        tps = s.touchpoints
        self.n_departments = len(s.departments)
        self.support_department = s.department_index("support")
        self.digital_department = s.digital_department
        self.n_touchpoints = len(tps)
        self.tp_owner = np.array(s.touchpoint_owners, dtype=np.int64)
        self.tp_digital = np.array([("never", "optional", "always").index(t.digital) for t in tps])
        self.tp_defect_multiplier = np.array([t.defect_multiplier for t in tps])
        self.tp_effort = np.array([t.effort for t in tps])
        self.tp_is_renewal = np.array([t.stage == "renewal" for t in tps])
        self._routine_tps = np.array(s.stage_touchpoints("routine"))
        self._routine_cum = np.cumsum(s.stage_weights("routine"))
        self._onboarding_tps = np.array(s.stage_touchpoints("onboarding"))
        self._onboarding_cum = np.cumsum(s.stage_weights("onboarding"))
        self._acquisition_tps = np.array(s.stage_touchpoints("acquisition"))
        self.renewal_tp = s.stage_touchpoints("renewal")[0]
        self.support_tp = s.stage_touchpoints("support")[0]
        self.defect_rate = self.p.defect_rate * self.tp_defect_multiplier

    def _build_organisation(self) -> None:
        p, rng = self.p, self.streams.generator("organisation")
        n = self.n_employees = p.n_employees
        positions = org.build_positions(n, p.span_of_control, self.structure)
        self.department = positions.department
        self.level = positions.level
        self.boss = positions.boss
        self.team = positions.team
        self.team_leaders = positions.team_leaders
        self._positions = np.arange(n)
        self.active = np.ones(n, dtype=bool)
        self.eliminated = np.zeros(n, dtype=bool)
        self.vacant_until = np.zeros(n, dtype=np.int64)
        self.hired_today = np.zeros(n, dtype=bool)
        levers_auth = org.authority_baseline(self.p.baseline_empowerment, self.n_departments)
        self.engagement = dyn.clip01(rng.normal(*org.START_ENGAGEMENT, n))
        self.skill = dyn.clip01(rng.normal(p.baseline_skill, org.START_SKILL_SD, n))
        self.empowerment = levers_auth[self.department, self.level].copy()
        is_support = self.department == self.support_department
        self.centricity = dyn.clip01(rng.normal(
            np.where(is_support, org.START_CENTRICITY_SUPPORT, org.START_CENTRICITY_OTHERS),
            org.START_CENTRICITY_SD))
        self.strain = dyn.clip01(rng.normal(*org.START_STRAIN, n))
        self.recognition = np.zeros(n)
        self.habituation = np.zeros(n)
        self.tenure = rng.integers(0, org.START_TENURE_DAYS, n)
        self.training_hours = np.zeros(n)
        self.last_trained = np.full(n, -NEVER, dtype=np.int64)
        self.load = np.zeros(n)
        self.load_average = np.zeros(n)
        #: Fixed per-position draws that decide who is covered by a programme and
        #: on which day of a cycle (so coverage is stable and sessions spread out).
        self.coverage_draw = rng.random(n)
        self.employee_phase = rng.integers(0, org.PHASE_RANGE, n)
        self.coach_draw = rng.random(n)
        #: Personal disposition to engage (logit scale), redrawn for each new hire.
        self.disposition = rng.normal(0.0, p.disposition_sd, n)
        self._agents_by_row: list[Employee | None] = [Employee(self, r) for r in range(n)]
        # every position by (department, level): fixed for the run (servers are drawn here
        # first, see _pick_servers)
        key = self.department * 3 + self.level
        self._positions_by_key = np.argsort(key, kind="stable")
        self._position_count = np.bincount(key, minlength=self.n_departments * 3)
        self._position_start = np.concatenate([[0], np.cumsum(self._position_count)[:-1]])
        self._roster_dirty = False
        self._refresh_rosters()
        self._measure_digital_channel()

    def _build_network(self) -> None:
        self.network = org.build_network(
            org.Positions(self.department, self.level, self.boss, self.team, self.team_leaders),
            self.p.silo_strength, self.p.ties_per_employee, self.streams.generator("network"))
        self._refresh_network_arrays()

    def _refresh_network_arrays(self) -> None:
        edges = np.array(self.network.edges(), dtype=np.int64).reshape(-1, 2)
        self.network_ties = len(edges)
        self.edge_source = np.concatenate([edges[:, 0], edges[:, 1]])
        self.edge_target = np.concatenate([edges[:, 1], edges[:, 0]])
        self.edge_weight = np.where(self.level[self.edge_source] < FRONTLINE,
                                    self.p.leader_weight, 1.0)
        self.department_silo, self.silo_effective = org.effective_silo(
            self.edge_source, self.edge_target, self.department, self.n_departments)

    def _build_customers(self) -> None:
        p, rng = self.p, self.streams.generator("customers")
        n0 = p.n_customers
        capacity = n0 + int(round(n0 * p.prospect_pool_share))
        self.n_customer_rows = capacity
        segments = self.structure.segments
        seg_share = np.array([s.share for s in segments])
        seg_share = seg_share / seg_share.sum()
        value_mult = np.array([s.value_multiplier for s in segments])
        value_mult = value_mult / np.dot(seg_share, value_mult) if value_mult.any() else value_mult
        self.c_segment = np.searchsorted(np.cumsum(seg_share), rng.random(capacity),
                                         side="right").clip(0, len(segments) - 1).astype(np.int8)
        self.c_value = p.revenue_per_customer * value_mult[self.c_segment]
        seg_expect = np.array([s.expectation for s in segments])
        self.c_expectation = dyn.clip01(seg_expect[self.c_segment]
                                        + rng.normal(0, org.EXPECTATION_SD, capacity))
        self.c_status = np.full(capacity, PROSPECT, dtype=np.int8)
        self.c_status[:n0] = ACTIVE
        self.c_mean_affect = np.zeros(capacity)
        self.c_peak_affect = np.zeros(capacity)
        self.c_end_affect = np.zeros(capacity)
        self.c_satisfaction = np.full(capacity, float(dyn.logistic(p.satisfaction_offset)))
        self.c_loyalty = dyn.clip01(rng.normal(*org.START_LOYALTY, capacity))
        self.c_start_day = np.zeros(capacity, dtype=np.int64)
        self.c_start_day[:n0] = -rng.integers(0, p.contract_days, n0)
        self.c_renewal_day = np.full(capacity, NEVER, dtype=np.int64)
        self.c_renewal_day[:n0] = self.c_start_day[:n0] + p.contract_days
        #: Each customer's calendar of routine contacts: a fixed sequence of days with
        #: geometric gaps (a daily chance 1 / contact_interval_days), the same in every run
        #: with this seed; ``c_calendar_day`` is the latest calendar day reached and
        #: ``c_calendar_index`` its index. After a problem or the acquisition touchpoints
        #: a customer returns to the next day of their calendar, so runs re-synchronise.
        self.c_calendar_index = np.zeros(capacity, dtype=np.int64)
        self.c_calendar_day = np.full(capacity, -1, dtype=np.int64)
        self.c_next_contact = np.full(capacity, NEVER, dtype=np.int64)
        initial = np.arange(n0)
        self._advance_calendars(initial, -1)
        self.c_next_contact[:n0] = np.minimum(self.c_calendar_day[:n0],
                                              self.c_renewal_day[:n0])
        self.c_problem_open = np.zeros(capacity, dtype=bool)
        self.c_problem_source = np.zeros(capacity, dtype=np.int64)
        self.c_problem_route = np.zeros(capacity, dtype=np.int64)
        self.c_problem_contacts = np.zeros(capacity, dtype=np.int64)
        self.c_problem_start = np.zeros(capacity, dtype=np.int64)
        self.c_needs_handoff = np.zeros(capacity, dtype=bool)
        self.c_last_outcome = np.zeros(capacity, dtype=np.int8)
        #: Index of the next acquisition touchpoint of a new customer (-1: none left).
        self.c_acquisition_step = np.full(capacity, -1, dtype=np.int64)
        self.c_spend_rate = np.zeros(capacity)
        self.c_spend_rate[:n0] = self.c_value[:n0] * dyn.spend_multiplier(
            self.c_loyalty[:n0], p.spend_loyalty_elasticity) / 365.0
        self.prospect_stack = rng.permutation(np.arange(n0, capacity))
        self.prospects_left = capacity - n0
        self.prospect_pool = max(capacity - n0, 1)
        self.active_customers = n0
        self.revenue_rate = float(self.c_spend_rate.sum())
        sat0 = self.c_satisfaction[:n0]
        self.promoters = int((sat0 >= dyn.PROMOTER_SATISFACTION).sum())
        self.detractors = int((sat0 < dyn.DETRACTOR_SATISFACTION).sum())
        self.outcome_customers = np.zeros(4, dtype=np.int64)
        self.outcome_customers[NO_PROBLEM] = n0
        self.churn_by_outcome = np.zeros(4, dtype=np.int64)
        self._customer_views: dict[int, Customer] = {}

    # ------------------------------------------------------------------ public API

    def baseline_levers(self) -> Levers:
        """The levers before interventions (the baseline parameters)."""
        return Levers.baseline(self.p, self.structure)

    @property
    def intervention_day(self) -> int:
        """Day counted from the end of the warm-up (negative during warm-up)."""
        return self.day - self.burn_in

    def employee_at(self, row: int) -> Employee | None:
        """The Employee agent holding position ``row`` (None if vacant)."""
        return self._agents_by_row[row]

    def customer(self, row: int) -> Customer:
        """A :class:`~cxsim.engine.agents.Customer` agent for customer row ``row``
        (created on demand)."""
        if not 0 <= row < self.n_customer_rows:
            raise IndexError(f"customer row {row} is out of range 0..{self.n_customer_rows - 1}")
        if row not in self._customer_views:
            self._customer_views[row] = Customer(self, row)
        return self._customer_views[row]

    def step(self) -> None:
        """One day: the phases below, in order.

        Raises:
            ParameterError: the model is already at its horizon.
        """
        check_not_past_horizon(self)
        self._reset_today()
        self._apply_interventions()
        self._acquire_customers()
        self._serve_customers()
        self._voice_of_customer()
        self._update_workforce()
        self._turnover_and_hiring()
        self.day += 1
        self.recorder.measure(self)
        self.datacollector.collect(self)
        if self.day >= self.horizon:
            self.running = False

    def run(self, progress: bool = False) -> CXModel:
        """Run to the horizon (warm-up plus ``days``); returns self."""
        return run_to_horizon(self, progress, "cxsim")

    def run_warm_up(self) -> CXModel:
        """Run to the end of the warm-up (no intervention acts before it); returns self."""
        while self.day < self.burn_in:
            self.step()
        return self

    def fork(self, interventions: Iterable[Intervention | Mapping[str, Any]] = ()) -> CXModel:
        """An independent copy of this model, from today on, with ``interventions``
        in place of this model's.

        Allowed up to the end of the warm-up, before any intervention has acted: a
        forked run is then bit-identical to a run built with ``interventions`` from the
        start with the same seed, so a baseline and its scenarios share their warm-up
        and it is run once per seed.

        Raises:
            ParameterError: the model is past its warm-up, or an intervention is invalid.
        """
        if self.day > self.burn_in:
            raise ParameterError(
                f"fork on day {self.day} is not allowed: a model forks at the latest at the "
                f"end of its warm-up (day {self.burn_in})")
        _, _, ivs = resolve_inputs(self.p, interventions, self.structure, {})
        child = copy.deepcopy(self)
        child.interventions = ivs
        for iv in ivs:
            iv.initialise(child)
        return child

    # ------------------------------------------------------------------ phase: interventions

    def _apply_interventions(self) -> None:
        self.today["intervention_cost"] = apply_interventions(self)

    # ------------------------------------------------------------------ phase: customers

    def _serve_customers(self) -> None:
        """Customers whose contact day is today contact the organisation: about an open
        problem, else the next acquisition touchpoint (new customers, one a day), else
        renewal when due, else onboarding while new, else a routine touchpoint."""
        customers = np.flatnonzero(self.c_next_contact == self.day)
        if customers.size == 0:
            return
        problem = self.c_problem_open[customers]
        step = self.c_acquisition_step[customers]
        acquiring = ~problem & (step >= 0)
        renewal = ~problem & ~acquiring & (self.c_renewal_day[customers] <= self.day)
        onboarding = (~problem & ~acquiring & ~renewal
                      & (self.day - self.c_start_day[customers] < self.p.onboarding_days))
        touchpoint_draw, channel_draw = self.streams.uniform_pair("route", self.day, customers)
        touchpoint = self._routine_tps[np.searchsorted(self._routine_cum, touchpoint_draw)]
        touchpoint[onboarding] = self._onboarding_tps[
            np.searchsorted(self._onboarding_cum, touchpoint_draw[onboarding])]
        touchpoint[renewal] = self.renewal_tp
        touchpoint[acquiring] = self._acquisition_tps[step[acquiring]]
        touchpoint[problem] = self.c_problem_route[customers[problem]]
        self._interact(customers, touchpoint, problem, acquiring, channel_draw)

    def _acquire_customers(self) -> None:
        """Marketing and word of mouth win prospects; they become active today and meet
        the acquisition touchpoints (awareness, purchase...) on consecutive days,
        starting today."""
        p = self.p
        expected = dyn.expected_acquisitions(
            p.acquisition_rate, p.n_customers, self.promoters, self.detractors, p.referral_rate,
            p.deterrence_rate, p.social_amplification, self.prospects_left, self.prospect_pool)
        k = min(self.streams.poisson("acquisition", self.day, expected), self.prospects_left)
        self.today["acquisitions"] = k
        if k == 0:
            return
        rows = self.prospect_stack[self.prospects_left - k:self.prospects_left]
        self.prospects_left -= k
        self.c_status[rows] = ACTIVE
        self.c_start_day[rows] = self.day
        self.c_renewal_day[rows] = self.day + p.contract_days
        self.active_customers += k
        self.outcome_customers[NO_PROBLEM] += k
        self._count_advocates(rows, +1)
        self.c_acquisition_step[rows] = 0
        self.c_next_contact[rows] = self.day

    def _interact(self, customers: np.ndarray, touchpoint: np.ndarray, problem: np.ndarray,
                  acquiring: np.ndarray, channel_draw: np.ndarray) -> None:
        """Serve one contact for each customer at ``touchpoint`` and let them judge it.
        ``acquiring`` marks contacts of new customers buying (never ending in churn).

        Every draw is the customer's own for today (see :mod:`cxsim.core.streams`)."""
        p, lv, day, streams = self.p, self.levers, self.day, self.streams
        # --- who serves: the digital channel or an employee of the owning department
        digital = ~problem & ((self.tp_digital[touchpoint] == 2)
                              | ((self.tp_digital[touchpoint] == 1)
                                 & (channel_draw < lv.digital_share)))
        contacts_so_far = np.where(problem, self.c_problem_contacts[customers] + 1, 0)
        escalated = problem & (contacts_so_far >= p.escalate_after)
        serving_dept = self.tp_owner[touchpoint]
        server = self._pick_servers(serving_dept, np.where(escalated, MANAGER, FRONTLINE),
                                    *streams.uniform_pair("server", day, customers))
        server[digital] = -1
        human = server >= 0
        rows = np.maximum(server, 0)
        serving_dept = np.where(human, self.department[rows], self.digital_department)
        digital_capability = dyn.digital_capability(lv.crm, self._digital_skill)
        skill = np.where(human, self.skill[rows], digital_capability)
        engagement = np.where(human, self.engagement[rows], digital_capability)
        centricity = np.where(human, self.centricity[rows], self._digital_centricity)
        authority = np.where(human, self.empowerment[rows], 0.0)
        guidelines = lv.guidelines[serving_dept, self.level[rows]]
        # --- handoffs: a problem caused elsewhere loses context crossing silos
        cause_dept = self.tp_owner[self.c_problem_source[customers]]
        needs_handoff = problem & self.c_needs_handoff[customers] & (serving_dept != cause_dept)
        loss = np.where(needs_handoff,
                        dyn.handoff_loss(1.0, lv.crm, lv.coordination, p.context_loss)
                        * self.department_silo[cause_dept], 0.0)
        quality = dyn.interaction_quality(skill, engagement, centricity, authority, lv.crm,
                                          guidelines, loss,
                                          streams.normal("service_noise", day, customers),
                                          p.noise_sd, p.inconsistency_factor)
        # --- problems: resolution, repeats, abandonment; new problems revealed (one draw:
        # a problem contact can resolve, another contact can reveal a defect)
        outcome_draw, survey_draw = streams.uniform_pair("outcome", day, customers)
        resolved = problem & (outcome_draw < dyn.resolution_probability(
            skill, authority, lv.crm, needs_handoff, loss))
        abandoned = problem & ~resolved & (contacts_so_far >= p.max_contacts)
        revealed = ~problem & (outcome_draw < self.defect_rate[touchpoint])
        experience = dyn.contact_experience(quality, problem, resolved, contacts_so_far,
                                            abandoned, revealed)
        # --- judgement: disconfirmation, peak-end memory, satisfaction, loyalty
        self._count_advocates(customers, -1)
        affect = dyn.disconfirmation_affect(experience, self.c_expectation[customers],
                                            p.loss_aversion)
        mean_affect, peak_affect = dyn.remember(self.c_mean_affect[customers],
                                                self.c_peak_affect[customers], affect,
                                                p.memory_rate, p.peak_decay)
        satisfaction = dyn.judged_satisfaction(mean_affect, peak_affect, affect, p.peak_weight,
                                               p.end_weight, p.satisfaction_gain,
                                               p.satisfaction_offset)
        self.c_mean_affect[customers] = mean_affect
        self.c_peak_affect[customers] = peak_affect
        self.c_end_affect[customers] = affect
        self.c_satisfaction[customers] = satisfaction
        loyalty = dyn.drift(self.c_loyalty[customers], satisfaction, p.loyalty_rate)
        self.c_loyalty[customers] = loyalty
        self.c_expectation[customers] = dyn.drift(self.c_expectation[customers], experience,
                                                  p.expectation_adaptation)
        self._count_advocates(customers, +1)
        # --- survey answers
        answered = survey_draw < p.response_rate
        csat_noise, nps_noise = streams.normal_pair("survey_answers", day, customers[answered])
        csat = dyn.csat_answer(satisfaction[answered], csat_noise)
        nps = dyn.nps_answer(satisfaction[answered], nps_noise)
        # --- problem bookkeeping
        self._close_problems(customers, problem, resolved, abandoned, contacts_so_far)
        self._open_problems(customers[revealed], touchpoint[revealed])
        still_open = problem & ~resolved & ~abandoned
        self.c_problem_contacts[customers[still_open]] += 1
        # --- pain points reach the causing department through ties, metrics, systems
        departure_draw, pain_draw = streams.uniform_pair("departure", day, customers)
        pain_tp = self.c_problem_source[customers[problem]]
        received = self._pain_received(serving_dept[problem], pain_tp, pain_draw[problem])
        # --- renewal and churn (one draw: a renewal contact renews or not, any other
        # contact may end in churn)
        is_renewal = self.tp_is_renewal[touchpoint]
        leave = ~acquiring & np.where(
            is_renewal,
            departure_draw >= dyn.renewal_probability(loyalty, p.renewal_midpoint,
                                                      p.renewal_gain),
            departure_draw < dyn.contact_churn_probability(satisfaction, p.contact_churn_hazard,
                                                           p.churn_sensitivity))
        next_step = self.c_acquisition_step[customers[acquiring]] + 1
        self.c_acquisition_step[customers[acquiring]] = np.where(
            next_step < self._acquisition_tps.size, next_step, -1)
        renewed = is_renewal & ~leave
        self.c_renewal_day[customers[renewed]] += p.contract_days
        new_rate = self.c_value[customers] * dyn.spend_multiplier(
            loyalty, p.spend_loyalty_elasticity) / 365.0
        new_rate[leave] = 0.0
        self.revenue_rate += float(new_rate.sum() - self.c_spend_rate[customers].sum())
        self.c_spend_rate[customers] = new_rate
        self._churn(customers[leave])
        # --- next contact: a repeat contact while a problem is open, the next acquisition
        # touchpoint tomorrow, else the next day of the customer's calendar (no later than
        # the renewal day)
        stay = customers[~leave]
        open_now = self.c_problem_open[stay]
        buying = ~open_now & (self.c_acquisition_step[stay] >= 0)
        routine = ~open_now & ~buying
        nxt = np.empty(stay.size, dtype=np.int64)
        nxt[open_now] = day + streams.geometric("repeat_delay", day, stay[open_now],
                                                1.0 / p.repeat_delay_days)
        nxt[buying] = day + 1
        routine_rows = stay[routine]
        self._advance_calendars(routine_rows, day)
        renewal_day = self.c_renewal_day[routine_rows]
        nxt[routine] = np.where(renewal_day > day,
                                np.minimum(self.c_calendar_day[routine_rows], renewal_day),
                                self.c_calendar_day[routine_rows])
        self.c_next_contact[stay] = nxt
        # --- employees' load and skill from practice
        effort = np.where(problem, dyn.PROBLEM_EFFORT, self.tp_effort[touchpoint])
        load = np.bincount(server[human], weights=effort[human], minlength=self.n_employees)
        self.load += load
        # --- today's tallies
        self.recorder.tally_interactions(
            touchpoint=touchpoint, department=serving_dept, team=np.where(
                human, self.team[rows], -1), quality=quality, answered=answered, csat=csat,
            nps=nps, problem=problem, first_contact=problem & (contacts_so_far == 1),
            resolved=resolved, revealed=revealed, pain_tp=pain_tp, pain_received=received,
            contacts_so_far=contacts_so_far, resolution_days=day - self.c_problem_start[customers],
            abandoned=abandoned)

    def _advance_calendars(self, customers: np.ndarray, day: int) -> None:
        """Move each customer's routine-contact calendar to its first day after ``day``.

        Calendar day ``k`` of a customer is calendar day ``k - 1`` plus a geometric gap
        drawn for (customer, ``k``): the same sequence in every run with this seed."""
        p = 1.0 / self.p.contact_interval_days
        behind = customers[self.c_calendar_day[customers] <= day]
        while behind.size:
            index = self.c_calendar_index[behind] + 1
            self.c_calendar_index[behind] = index
            self.c_calendar_day[behind] += self.streams.geometric("contact_calendar", index,
                                                                  behind, p)
            behind = behind[self.c_calendar_day[behind] <= day]

    def _pick_servers(self, department: np.ndarray, level: np.ndarray, position_draw: np.ndarray,
                      roster_draw: np.ndarray) -> np.ndarray:
        """A random filled position of each (department, level); -1 if none at all.

        A position of the (department, level) is drawn among all its positions, filled
        or not; if it is vacant, a filled one is drawn from the roster. Each filled
        position is equally likely, and a run whose workforce differs from another's by a
        few vacancies picks the same server for most contacts (common random numbers)."""
        key = self._roster_fallback[department * 3 + level]
        count = self._roster_count[key]
        fixed = self._positions_by_key[np.minimum(
            self._position_start[key] + (position_draw * self._position_count[key]).astype(
                np.int64), self.n_employees - 1)]
        pick = self._roster_start[key] + (roster_draw * count).astype(np.int64)
        roster = self._roster[np.minimum(pick, self._roster.size - 1)]
        return np.where(count > 0, np.where(self.active[fixed], fixed, roster), -1)

    def _refresh_rosters(self) -> None:
        """Index filled positions by (department, level) for fast random picks."""
        key = self.department * 3 + self.level
        filled = np.flatnonzero(self.active)
        order = filled[np.argsort(key[filled], kind="stable")]
        self._roster = order if order.size else np.zeros(1, dtype=np.int64)
        counts = np.bincount(key[filled], minlength=self.n_departments * 3)
        self._roster_count = counts
        self._roster_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        # fall back to the other level of the department, then to support frontline
        fallback = np.arange(self.n_departments * 3)
        for k in range(fallback.size):
            if counts[k] == 0:
                d = k // 3
                options = [d * 3 + FRONTLINE, d * 3 + MANAGER, d * 3 + EXECUTIVE,
                           self.support_department * 3 + FRONTLINE,
                           self.support_department * 3 + MANAGER]
                fallback[k] = next((o for o in options if counts[o] > 0), k)
        self._roster_fallback = fallback

    def _count_advocates(self, customers: np.ndarray, sign: int) -> None:
        sat = self.c_satisfaction[customers]
        self.promoters += sign * int((sat >= dyn.PROMOTER_SATISFACTION).sum())
        self.detractors += sign * int((sat < dyn.DETRACTOR_SATISFACTION).sum())

    def _open_problems(self, customers: np.ndarray, touchpoint: np.ndarray) -> None:
        if customers.size == 0:
            return
        route_draw, handoff_draw = self.streams.uniform_pair("problem", self.day, customers)
        cause = self.tp_owner[touchpoint]
        at_source = route_draw < self.levers.ownership[cause, FRONTLINE]
        route = np.where(at_source & (self.tp_digital[touchpoint] != 2), touchpoint,
                         self.support_tp)
        self.c_problem_open[customers] = True
        self.c_problem_source[customers] = touchpoint
        self.c_problem_route[customers] = route
        self.c_problem_contacts[customers] = 0
        self.c_problem_start[customers] = self.day
        self.c_needs_handoff[customers] = handoff_draw < self.p.handoff_need

    def _close_problems(self, customers: np.ndarray, problem: np.ndarray, resolved: np.ndarray,
                        abandoned: np.ndarray, contacts_so_far: np.ndarray) -> None:
        closing = resolved | abandoned
        if not closing.any():
            return
        outcome = np.where(abandoned, UNRESOLVED,
                           np.where(contacts_so_far == 1, RESOLVED_FIRST, RESOLVED_REPEAT))
        rows = customers[closing]
        self._set_outcome(rows, outcome[closing])
        self.c_problem_open[rows] = False

    def _set_outcome(self, customers: np.ndarray, outcome: np.ndarray | int) -> None:
        """Record the outcome of each customer's latest problem (and keep the counts)."""
        new = np.broadcast_to(np.asarray(outcome, dtype=np.int8), customers.shape)
        self.outcome_customers -= np.bincount(self.c_last_outcome[customers], minlength=4)
        self.outcome_customers += np.bincount(new, minlength=4)
        self.c_last_outcome[customers] = new

    def _pain_received(self, serving_dept: np.ndarray, pain_tp: np.ndarray,
                       draw: np.ndarray) -> np.ndarray:
        """Which pain points reach the department that causes them (``draw``: uniform
        numbers, one per pain point)."""
        cause = self.tp_owner[pain_tp]
        lv = self.levers
        flow = dyn.pain_flow(self.department_silo[cause], lv.shared_metrics[cause, MANAGER],
                             lv.crm, lv.voc)
        direct = serving_dept == cause
        return direct | (draw < flow)

    def _churn(self, customers: np.ndarray) -> None:
        if customers.size == 0:
            return
        self._count_advocates(customers, -1)
        # leaving with a problem still open is leaving with it unresolved
        self._set_outcome(customers[self.c_problem_open[customers]], UNRESOLVED)
        outcome = self.c_last_outcome[customers]
        self.churn_by_outcome += np.bincount(outcome, minlength=4)
        self.outcome_customers -= np.bincount(outcome, minlength=4)
        self.c_status[customers] = CHURNED
        self.c_next_contact[customers] = NEVER
        self.c_problem_open[customers] = False
        self.active_customers -= customers.size
        self.today["churned"] += customers.size

    # ------------------------------------------------------------------ phase: voice of customer

    def _voice_of_customer(self) -> None:
        """Pain points that reached their cause lead to root-cause fixes (defects fall)."""
        received = self.recorder.pain_received_today
        if not received.any():
            return
        p = self.p
        owner = self.tp_owner
        filled = self.active
        centric = np.bincount(self.department[filled], weights=self.centricity[filled],
                              minlength=self.n_departments) / np.maximum(
            np.bincount(self.department[filled], minlength=self.n_departments), 1)
        per_thousand = received * 1000.0 / max(p.n_customers, 1)
        floor = p.defect_floor * self.tp_defect_multiplier
        self.defect_rate = dyn.root_cause_fix(self.defect_rate, floor, per_thousand,
                                              centric[owner], p.root_cause_fix_rate)

    # ------------------------------------------------------------------ phase: workforce

    def _update_workforce(self) -> None:
        p, lv = self.p, self.levers
        dept, level, active = self.department, self.level, self.active
        coaches = (self.coach_draw < lv.coaching[dept, MANAGER]) & active
        signal = dyn.cascade_signal(lv.commitment[dept, EXECUTIVE], level, self.boss, coaches,
                                    p.coaching_amplification, p.non_coaching_damping)
        weight = self.edge_weight * active[self.edge_source]
        peer_engagement, _ = dyn.neighbour_mean(self.engagement, self.edge_source,
                                                self.edge_target, weight)
        peer_centricity, _ = dyn.neighbour_mean(self.centricity, self.edge_source,
                                                self.edge_target, weight)
        ownership = lv.ownership[dept, level]
        centricity_target = dyn.centricity_target(signal, ownership,
                                                  lv.shared_metrics[dept, level])
        self.centricity = dyn.clip01(
            self.centricity + p.leadership_rate * (centricity_target - self.centricity)
            + p.social_influence_rate * (peer_centricity - self.centricity))
        self.empowerment = dyn.drift(self.empowerment, lv.authority[dept, level],
                                     dyn.EMPOWERMENT_DRIFT)
        self.skill = dyn.skill_decay(self.skill, p.skill_decay, p.skill_floor)
        self.skill = dyn.learning_curve(self.skill, self.load, p.on_the_job_learning)
        capacity = p.contact_capacity * lv.capacity
        self.load_average = dyn.drift(self.load_average, self.load, dyn.LOAD_SMOOTHING)
        demand = dyn.job_demand(self.load_average, capacity)
        boss_coaches = coaches[self.boss] | (level == EXECUTIVE)
        support = dyn.manager_support(level == FRONTLINE, boss_coaches, coaches)
        resources = dyn.job_resources(self.skill, self.empowerment, lv.crm, support,
                                      1.0 - self.department_silo[dept])
        self.strain = dyn.strain_update(self.strain, demand, resources, p.strain_build_rate,
                                        p.strain_recovery_rate)
        self.recognition = dyn.fade(self.recognition, p.recognition_fade_days)
        self.habituation = dyn.fade(self.habituation, dyn.HABITUATION_HALF_LIFE)
        target = dyn.engagement_target(resources, self.strain, signal, self.recognition,
                                       self.centricity, lv.change_fatigue[dept, level],
                                       self.disposition)
        self.engagement = dyn.clip01(
            self.engagement + p.engagement_rate * (target - self.engagement)
            + p.social_influence_rate * (peer_engagement - self.engagement))
        self.tenure += active
        self.today["demand_mean"] = float(demand[active].mean()) if active.any() else 0.0
        self._measure_digital_channel()

    def _measure_digital_channel(self) -> None:
        """The digital channel is as good as its tools and the staff who run it."""
        staff = (self.department == self.digital_department) & self.active
        self._digital_skill = float(self.skill[staff].mean()) if staff.any() else 0.0
        self._digital_centricity = float(self.centricity[staff].mean()) if staff.any() else 0.0

    def train(self, who: np.ndarray, hours: float) -> None:
        """Give ``hours`` of CX training to positions in the boolean mask ``who``."""
        effective = hours * self.levers.training_effect
        self.skill[who] = dyn.learning_curve(self.skill[who], effective, self.p.learning_per_hour)
        self.training_hours[who] += hours
        self.last_trained[who] = self.day

    def recognise(self, who: np.ndarray, boost: float) -> None:
        """Recognise positions in ``who``: a lift that fades and shrinks with habituation."""
        self.recognition[who], self.habituation[who] = dyn.recognition_lift(
            self.recognition[who], self.habituation[who], boost)

    def add_cross_ties(self, count: int, among: np.ndarray) -> None:
        """Try ``count`` new informal ties from positions in ``among`` to random positions;
        those that land in the same department or on an existing tie are dropped."""
        candidates = np.flatnonzero(among)
        if count <= 0 or candidates.size == 0:
            return
        rng, n = self.streams.generator("ties", self.day), self.n_employees
        source = candidates[rng.integers(0, candidates.size, count)]
        target = rng.integers(0, n, count)
        keep = self.department[source] != self.department[target]
        self.network.add_edges_from(
            [(u, v) for u, v in zip(source[keep].tolist(), target[keep].tolist())
             if not self.network.has_edge(u, v)], kind="informal")
        self._refresh_network_arrays()

    def cut_cross_ties(self, share: float, among: np.ndarray) -> None:
        """Remove a ``share`` of the informal cross-department ties that touch a position
        in the boolean mask ``among`` (a silo-raising reorganisation)."""
        dept = self.department
        cross = [(u, v) for u, v, kind in self.network.edges(data="kind")
                 if kind == "informal" and dept[u] != dept[v] and (among[u] or among[v])]
        if not cross:
            return
        chosen = self.streams.generator("tie_cuts", self.day).random(len(cross)) < share
        self.network.remove_edges_from([e for e, c in zip(cross, chosen) if c])
        self._refresh_network_arrays()

    def lay_off(self, among: np.ndarray, share: float) -> int:
        """Eliminate a ``share`` of the filled positions in ``among``; returns how many."""
        candidates = np.flatnonzero(among & self.active)
        k = int(round(share * candidates.size))
        if k == 0:
            return 0
        rows = self.streams.generator("layoffs", self.day).choice(candidates, size=k,
                                                                 replace=False)
        self.eliminated[rows] = True
        self._vacate(rows)
        self._refresh_rosters()
        return k

    def _vacate(self, rows: np.ndarray) -> None:
        self.active[rows] = False
        for r in rows.tolist():
            agent = self._agents_by_row[r]
            if agent is not None:
                agent.remove()
                self._agents_by_row[r] = None
        self._roster_dirty = True

    # ------------------------------------------------------------------ phase: turnover

    def _turnover_and_hiring(self) -> None:
        p, lv, streams, day = self.p, self.levers, self.streams, self.day
        q = dyn.quit_probability(p.base_quit_rate, self.strain, self.engagement,
                                 p.strain_quit_factor, p.disengaged_quit_factor)
        leavers = np.flatnonzero(self.active & (streams.uniform("quits", day, self._positions)
                                                < q))
        self.today["quits"] = leavers.size
        self.recorder.tally_quits(self.department[leavers])
        if leavers.size:
            self.vacant_until[leavers] = self.day + p.hiring_delay_days
            self._vacate(leavers)
        fill = np.flatnonzero(~self.active & ~self.eliminated & (self.vacant_until <= self.day))
        self.hired_today[:] = False
        if fill.size:
            d, lvl = self.department[fill], self.level[fill]
            engagement_noise, centricity_noise = streams.normal_pair("hiring", day, fill)
            self.engagement[fill] = dyn.clip01(lv.hire_engagement[d, lvl]
                                               + org.HIRE_SD * engagement_noise)
            self.centricity[fill] = dyn.clip01(lv.hire_centricity[d, lvl]
                                               + org.HIRE_SD * centricity_noise)
            self.skill[fill] = p.new_hire_skill
            self.empowerment[fill] = lv.authority[d, lvl]
            self.strain[fill] = 0.0
            self.recognition[fill] = 0.0
            self.disposition[fill] = p.disposition_sd * streams.normal("disposition", day, fill)
            self.habituation[fill] = 0.0
            self.tenure[fill] = 0
            self.training_hours[fill] = 0.0
            self.last_trained[fill] = -NEVER
            self.load_average[fill] = 0.0
            self.active[fill] = True
            self.hired_today[fill] = True
            for r in fill.tolist():
                self._agents_by_row[r] = Employee(self, r)
            self._roster_dirty = True
        self.today["hires"] = fill.size
        self.today["hiring_cost"] = fill.size * p.hiring_cost
        if self._roster_dirty:
            self._refresh_rosters()
            self._roster_dirty = False

    # ------------------------------------------------------------------ bookkeeping

    def _reset_today(self) -> None:
        self.today = new_day_counters()
        self.load = np.zeros(self.n_employees)
        self.recorder.start_day()


def resolve_inputs(config: Config | Mapping[str, Any] | None,
                   interventions: Iterable[Intervention | Mapping[str, Any]],
                   structure: Structure | Mapping[str, Any] | None,
                   parameters: Mapping[str, Any]) -> tuple[Config, Structure, list[Intervention]]:
    """Validate a model's inputs: the Config with keyword overrides, the Structure, and
    private copies of the interventions (built from tables where needed).

    Raises ParameterError naming the field, the value and what is allowed."""
    base = config if isinstance(config, Config) else Config.from_nested(config or {})
    if isinstance(structure, Mapping):
        structure = Structure.from_dict(structure)
    ivs = [copy.deepcopy(iv) if isinstance(iv, Intervention) else intervention_from_dict(iv)
           for iv in interventions]
    return base.with_overrides(parameters), structure or Structure(), ivs


def check_not_past_horizon(model: Any) -> None:
    """Raise ParameterError if ``model`` has reached its horizon (it cannot step on)."""
    if model.day >= model.horizon:
        raise ParameterError(
            f"step is not allowed: the model is at day {model.day}, its horizon "
            f"(burn_in_days + days = {model.horizon}); build a model with more days")


def run_to_horizon(model: Any, progress: bool, label: str) -> Any:
    """Step ``model`` from its current day to its horizon, with an optional progress bar."""
    days = range(model.day, model.horizon)
    if progress:
        from tqdm import tqdm

        days = tqdm(days, desc=label, unit="day", leave=False)
    for _ in days:
        model.step()
    return model


def daily_metric(name: str, model: Any) -> float:
    """Today's value of the daily metric ``name`` (see ``docs/metrics.md``)."""
    return model.recorder.current[name]


def metric_reporters() -> dict[str, partial]:
    """The DataCollector's model reporters, one per daily metric: partials of a module
    function, so a model and its collector pickle and copy."""
    return {name: partial(daily_metric, name) for name in DAILY_METRICS}


def model_signature() -> inspect.Signature:
    """The keyword signature of a model's ``__init__``: config, interventions, structure,
    rng and every parameter of :data:`~cxsim.core.parameters.PARAMETERS` with its default
    (for Mesa's batch_run and SolaraViz)."""
    params = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("config", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
        inspect.Parameter("interventions", inspect.Parameter.KEYWORD_ONLY, default=()),
        inspect.Parameter("structure", inspect.Parameter.KEYWORD_ONLY, default=None),
        inspect.Parameter("rng", inspect.Parameter.KEYWORD_ONLY, default=None),
    ]
    params += [inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default,
                                 annotation=p.kind.__name__) for p in PARAMETERS]
    return inspect.Signature(params)


CXModel.__init__.__signature__ = model_signature()

__all__ = ["CXModel", "ParameterError", "OUTCOME_NAMES"]
