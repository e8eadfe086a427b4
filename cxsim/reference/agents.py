"""Agents of the reference model: one object per employee and per customer.

Each agent keeps its own state as plain attributes and updates it in its own
methods, one agent at a time, reading like the model brief. The formulas are the
shared pure functions of :mod:`cxsim.core.dynamics`, called with one agent's numbers;
the bookkeeping (who is contacted, who serves, problems, memories, churn) is
written here, independently of the array engine :class:`cxsim.engine.model.CXModel`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import mesa
import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core import organisation as org
from cxsim.core.enums import ContactOutcome, CustomerStatus, Level
from cxsim.engine.metrics import CONTACT_OUTCOMES

if TYPE_CHECKING:
    from cxsim.reference.model import ReferenceModel

PROSPECT, ACTIVE, CHURNED = CustomerStatus
EXECUTIVE, MANAGER, FRONTLINE = Level
NO_PROBLEM, RESOLVED_FIRST, RESOLVED_REPEAT, UNRESOLVED = ContactOutcome



class EmployeeAgent(mesa.Agent):
    """The holder of one employee position.

    A position (row ``position`` of the model's position table) has a department,
    a level and a manager; the person holding it has the state below. When an
    employee quits or is laid off this agent is removed; a hire who fills the
    position later is a new agent for the same ``position``.

    Attributes (each in [0, 1] unless noted): ``engagement``, ``skill``,
    ``empowerment``, ``centricity`` (customer-centricity), ``strain``,
    ``recognition`` and ``habituation`` (to recognition), ``tenure`` (days),
    ``training_hours``, ``last_trained`` (day, None if never), ``load`` (today's
    workload in support-contact units), ``load_average`` (the load felt),
    ``disposition`` (personal disposition to engage, logit scale).
    """

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, position: int, *, engagement: float,
                 skill: float, empowerment: float, centricity: float, strain: float,
                 tenure: int, first_day: int | None = None):
        super().__init__(model)
        self.position = position
        self.department = int(model.department[position])
        self.level = int(model.level[position])
        self.boss = int(model.boss[position])
        self.team = int(model.team[position])
        self.unit = int(model.unit[position])  #: business unit
        self.engagement = engagement
        self.skill = skill
        self.empowerment = empowerment
        self.centricity = centricity
        self.strain = strain
        self.tenure = tenure
        #: First working day of a hire (None for the initial workforce).
        self.first_day = first_day
        self.disposition = float(model.rng.normal(0.0, model.p.disposition_sd))
        self.recognition = 0.0
        self.habituation = 0.0
        self.training_hours = 0.0
        self.last_trained: int | None = None
        self.load = 0.0
        self.load_average = 0.0
        self.demand = 0.0
        self.peer_engagement = engagement
        self.peer_centricity = centricity

    @classmethod
    def initial(cls, model: ReferenceModel, position: int) -> EmployeeAgent:
        """An employee of the organisation at the start of the run."""
        p, rng = model.p, model.rng
        department, level = int(model.department[position]), int(model.level[position])
        centricity_mean = (org.START_CENTRICITY_SUPPORT if department == model.support_department
                           else org.START_CENTRICITY_OTHERS)
        employee = cls(
            model, position,
            engagement=float(dyn.clip01(rng.normal(*org.START_ENGAGEMENT))),
            skill=float(dyn.clip01(rng.normal(p.baseline_skill, org.START_SKILL_SD))),
            empowerment=float(model.baseline_authority[department, level]),
            centricity=float(dyn.clip01(rng.normal(centricity_mean, org.START_CENTRICITY_SD))),
            strain=float(dyn.clip01(rng.normal(*org.START_STRAIN))),
            tenure=int(rng.integers(0, org.START_TENURE_DAYS)),
        )
        # who is still there at the start has been selected by turnover (shared rule)
        employee.disposition = float(org.incumbent_dispositions(
            rng, 1, p.disposition_sd, p.disengaged_quit_factor,
            org.own_engagement_weight(p.engagement_rate, p.social_influence_rate))[0])
        return employee

    @classmethod
    def new_hire(cls, model: ReferenceModel, position: int) -> EmployeeAgent:
        """A hire drawn from today's hiring profile; starts work tomorrow, unskilled."""
        levers, rng = model.levers, model.rng
        department, level = int(model.department[position]), int(model.level[position])
        return cls(
            model, position,
            engagement=float(dyn.clip01(rng.normal(levers.hire_engagement[department, level],
                                                   org.HIRE_SD))),
            skill=model.p.new_hire_skill,
            empowerment=float(levers.authority[department, level]),
            centricity=float(dyn.clip01(rng.normal(levers.hire_centricity[department, level],
                                                   org.HIRE_SD))),
            strain=0.0,
            tenure=0,
            first_day=model.day + 1,
        )

    # --- serving customers ---------------------------------------------------------

    def take_contact(self, effort: float) -> None:
        """Serve one customer contact of the given ``effort`` (adds to today's load)."""
        self.load += effort

    # --- the workforce phase: look around, then update ------------------------------

    def look_around(self) -> None:
        """Note what network neighbours feel today, before anyone updates (synchronous
        influence): the weighted mean engagement and customer-centricity of the people
        holding neighbouring positions, leaders weighted ``culture.leader_weight``."""
        model = self.model
        total = engagement = centricity = 0.0
        for position in model.network.neighbors(self.position):
            peer = model.employee_at(position)
            if peer is None:
                continue  # a vacant position influences no one
            weight = model.p.leader_weight if peer.level < FRONTLINE else 1.0
            total += weight
            engagement += weight * peer.engagement
            centricity += weight * peer.centricity
        self.peer_engagement = engagement / total if total > 0 else self.engagement
        self.peer_centricity = centricity / total if total > 0 else self.centricity

    def leadership_signal(self) -> float:
        """The leadership signal this employee receives: executives hold their
        department's commitment, managers pass it on amplified if they coach and damped
        if not, frontline employees receive what their manager passes on.

        Computed by :func:`cxsim.core.dynamics.cascade_signal` on the two-person chain
        (this employee, their manager).
        """
        model, p = self.model, self.model.p
        chain = np.array([self.position, self.boss])
        signal = dyn.cascade_signal(
            model.levers.commitment[model.department[chain], EXECUTIVE], model.level[chain],
            np.array([1, 1]), np.array([model.coaches(r) for r in chain]),
            p.coaching_amplification, p.non_coaching_damping)
        return float(signal[0])

    def step(self) -> None:
        """One working day: culture, authority, skill, strain, recognition, engagement.

        Uses the neighbours' values noted in :meth:`look_around` and today's load.
        """
        model, p, lv = self.model, self.model.p, self.model.levers
        d, level = self.department, self.level
        signal = self.leadership_signal()
        # customer-centricity follows leadership, ownership of CX, shared metrics and peers
        target = dyn.centricity_target(signal, lv.ownership[d, level], lv.shared_metrics[d, level])
        self.centricity = float(dyn.clip01(
            self.centricity + p.leadership_rate * (target - self.centricity)
            + p.social_influence_rate * (self.peer_centricity - self.centricity)))
        # authority follows what is granted; skill decays and grows with practice
        self.empowerment = float(dyn.drift(self.empowerment, lv.authority[d, level],
                                           dyn.EMPOWERMENT_DRIFT))
        self.skill = float(dyn.learning_curve(dyn.skill_decay(self.skill, p.skill_decay,
                                                              p.skill_floor),
                                              self.load, p.on_the_job_learning))
        # job demands against job resources build or relieve strain
        self.load_average = float(dyn.drift(self.load_average, self.load, dyn.LOAD_SMOOTHING))
        group = d * 3 + level
        self.demand = float(dyn.job_demand(
            self.load_average, model.group_capacity[group],
            model.utilisation[group] if level == FRONTLINE else 0.0))
        support = dyn.manager_support(level == FRONTLINE, model.coaches(self.boss),
                                      model.coaches(self.position))
        resources = float(dyn.job_resources(self.skill, self.empowerment, lv.crm, support,
                                            1.0 - model.department_silo[d]))
        self.strain = float(dyn.strain_update(self.strain, self.demand, resources,
                                              p.strain_build_rate, p.strain_recovery_rate))
        # recognition fades, and so does habituation to it
        self.recognition = float(dyn.fade(self.recognition, p.recognition_fade_days))
        self.habituation = float(dyn.fade(self.habituation, dyn.HABITUATION_HALF_LIFE))
        # engagement follows working conditions and peers
        target = dyn.engagement_target(resources, self.strain, signal, self.recognition,
                                       self.centricity, lv.change_fatigue[d, level],
                                       self.disposition
                                       + model.unit_climate[model.unit[self.position]])
        self.engagement = float(dyn.clip01(
            self.engagement + p.engagement_rate * (target - self.engagement)
            + p.social_influence_rate * (self.peer_engagement - self.engagement)))
        self.tenure += 1

    # --- events ----------------------------------------------------------------------

    def train(self, hours: float) -> None:
        """Attend ``hours`` of CX training (a budget cut lowers its effect)."""
        effective = hours * self.model.levers.training_effect
        self.skill = float(dyn.learning_curve(self.skill, effective,
                                              self.model.p.learning_per_hour))
        self.training_hours += hours
        self.last_trained = self.model.day

    def recognise(self, boost: float) -> None:
        """Be recognised: a lift that fades and shrinks with habituation."""
        recognition, habituation = dyn.recognition_lift(self.recognition, self.habituation,
                                                        boost)
        self.recognition, self.habituation = float(recognition), float(habituation)

    def decides_to_quit(self) -> bool:
        """Today's quitting decision: strain and disengagement raise the odds."""
        p = self.model.p
        q = dyn.quit_probability(p.base_quit_rate, self.strain, self.engagement,
                                 p.strain_quit_factor, p.disengaged_quit_factor)
        return self.random.random() < q

    def leave(self) -> None:
        """Leave the organisation (quit or laid off): the position becomes vacant."""
        self.model.vacate(self.position)
        self.remove()

    def __repr__(self) -> str:
        return (f"EmployeeAgent(position={self.position}, department={self.department}, "
                f"level={self.level}, engagement={self.engagement:.2f}, "
                f"skill={self.skill:.2f}, strain={self.strain:.2f})")


@dataclass
class Problem:
    """A customer's open problem."""

    source: int  #: touchpoint where it appeared; that touchpoint's owner caused it
    route: int  #: touchpoint the customer contacts about it
    opened_on: int  #: day it appeared
    needs_cause_department: bool  #: fixing it needs the causing department (a handoff)
    contacts: int = 0  #: contacts about it so far


class Contact(NamedTuple):
    """What one contact leaves in today's tallies (see Recorder.tally_interactions)."""

    customer: int  #: the customer's unique_id (the outcome cohorts follow it)
    churned: bool  #: the contact ended in churn
    touchpoint: int
    department: int  #: serving department (the digital channel's owner if digital)
    team: int  #: serving team, -1 for the digital channel
    quality: float
    answered: bool
    csat: int  #: survey answers (meaningful when ``answered``)
    nps: int
    problem: bool
    first_contact: bool
    resolved: bool
    revealed: bool
    abandoned: bool
    contacts_so_far: int
    resolution_days: int
    pain_touchpoint: int  #: where a problem contact's problem appeared (-1 if no problem)
    pain_received: bool  #: that pain point reached the department that causes it


class CustomerAgent(mesa.Agent):
    """A customer (or prospect) of the organisation.

    States: ``prospect`` (in the reachable market), ``active`` and ``churned``. An
    active customer contacts the organisation on ``next_contact``: about an open
    problem, for renewal at the end of the contract, for onboarding while new, or
    for a routine touchpoint; judges each contact against expectations with a
    peak-end memory; answers surveys; may renew, churn, or reveal a new problem.
    """

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, segment: int, value: float, expectation: float,
                 loyalty: float, unit: int = 0):
        super().__init__(model)
        self.segment = segment
        self.unit = unit  #: business unit
        self.value = value  #: revenue per year at loyalty 0.5 (currency)
        self.expectation = self.initial_expectation = expectation
        self.loyalty = self.initial_loyalty = loyalty
        self.status = PROSPECT
        self.satisfaction = float(dyn.logistic(model.p.satisfaction_offset))
        self.mean_affect = self.peak_affect = self.end_affect = 0.0
        self.start_day: int | None = None
        self.renewal_day: int | None = None
        self.next_contact: int | None = None
        self.problem: Problem | None = None
        #: Which acquisition touchpoint a new customer meets next (None: all met).
        self.acquisition_step: int | None = None
        #: How the latest problem ended (an index of cxsim.engine.model.OUTCOME_NAMES).
        self.last_outcome = NO_PROBLEM
        #: Outcome of the latest contact (an index of cxsim.engine.metrics.CONTACT_OUTCOMES;
        #: -1 before the first).
        self.last_contact_outcome = -1
        self.spend_rate = 0.0  #: revenue per day

    @property
    def promoter(self) -> bool:
        return self.satisfaction >= dyn.PROMOTER_SATISFACTION

    @property
    def detractor(self) -> bool:
        return self.satisfaction < dyn.DETRACTOR_SATISFACTION

    def start_as_existing_customer(self) -> None:
        """Be an active customer at the start of the run, somewhere in a contract."""
        p, rng = self.model.p, self.model.rng
        self.status = ACTIVE
        self.start_day = -int(rng.integers(0, p.contract_days))
        self.renewal_day = self.start_day + p.contract_days
        self.next_contact = min(int(rng.geometric(1.0 / p.contact_interval_days)) - 1,
                                self.renewal_day)
        self.spend_rate = self._spend_rate()

    def join(self) -> None:
        """A prospect buys: becomes active and meets the acquisition touchpoints
        (awareness, purchase...) on consecutive days, starting today."""
        model = self.model
        self.status = ACTIVE
        self.start_day = model.day
        self.renewal_day = model.day + model.p.contract_days
        self.acquisition_step = 0
        self.next_contact = model.day

    def step(self) -> None:
        """Contact the organisation if today is the day."""
        if self.status == ACTIVE and self.next_contact == self.model.day:
            self.contact(self._next_touchpoint())

    def _next_touchpoint(self) -> int:
        model, day = self.model, self.model.day
        if self.problem is not None:
            return self.problem.route
        if self.acquisition_step is not None:
            return model.acquisition_touchpoints[self.acquisition_step]
        if self.renewal_day <= day:
            return model.renewal_touchpoint
        if day - self.start_day < model.p.onboarding_days:
            return model.choose_touchpoint("onboarding")
        return model.choose_touchpoint("routine")

    def contact(self, touchpoint: int) -> None:
        """One contact at ``touchpoint``: served, judged, surveyed; it may resolve or
        reveal a problem and end in renewal or churn. Acquisition contacts (a new
        customer buying) never end in churn."""
        model, p, lv, day = self.model, self.model.p, self.model.levers, self.model.day
        random = self.random
        problem = self.problem
        acquiring = problem is None and self.acquisition_step is not None
        owner = int(model.tp_owner[touchpoint])
        channel = model.structure.touchpoints[touchpoint].digital
        # --- who serves: the digital channel, or an employee of the owning department
        digital = problem is None and (
            channel == "always" or (channel == "optional" and random.random() < lv.digital_share))
        contacts = problem.contacts + 1 if problem is not None else 0
        effort = (dyn.PROBLEM_EFFORT if problem is not None
                  else model.structure.touchpoints[touchpoint].effort)
        # --- capacity and waiting: an escalation goes to a manager with room, else to a
        # frontline colleague; a contact reaches someone as its group's utilisation
        # allows; one that reaches nobody goes digital only at an optional digital
        # touchpoint (never a problem)
        managers = model.serving_group(owner, MANAGER)
        escalated = False
        if (problem is not None and contacts >= p.escalate_after and managers is not None
                and managers[1] != FRONTLINE):
            model.offer(managers, effort)
            escalated = random.random() < float(dyn.manager_room(
                model.utilisation_of(managers)))
        group = None
        wait = 0.0
        unreached = False
        if not digital:
            group = model.serving_group(owner, MANAGER if escalated else FRONTLINE)
        if not digital and not escalated:
            reach = 0.0 if group is None else float(dyn.reach_probability(
                model.utilisation_of(group), p.abandonment_rate))
            unreached = random.random() >= reach
            if unreached and problem is None and channel == "optional":
                digital, unreached, group = True, False, None
            elif group is not None:
                model.offer(group, effort)
                wait = float(dyn.wait_index(model.utilisation_of(group)))
        server = (model.pick_server(group, self.unit) if group is not None and not unreached
                  else None)
        if unreached:  # nobody reached: nothing delivered
            department = owner
            skill = engagement = centricity = authority = 0.0
            guidelines = 0.0
        elif server is None:  # the digital channel
            department = model.digital_department
            skill = engagement = dyn.digital_capability(lv.crm, model.digital_skill)
            centricity, authority = model.digital_centricity, 0.0
            guidelines = lv.guidelines[department, FRONTLINE]  # no authority: no effect
        else:
            department = server.department
            skill, engagement = server.skill, server.engagement
            centricity, authority = server.centricity, server.empowerment
            guidelines = lv.guidelines[department, server.level]
        # --- handoff: a problem caused elsewhere loses context crossing silos
        cause = int(model.tp_owner[problem.source]) if problem is not None else owner
        handoff = (problem is not None and problem.needs_cause_department
                   and department != cause)
        loss = (dyn.handoff_loss(1.0, lv.crm, lv.coordination, p.context_loss)
                * model.department_silo[cause]) if handoff else 0.0
        quality = 0.0 if unreached else float(dyn.interaction_quality(
            skill, engagement, centricity, authority, lv.crm, guidelines, loss,
            model.rng.standard_normal(), p.noise_sd, p.inconsistency_factor))
        # --- the problem: resolved, repeated or abandoned; or a new problem revealed
        resolved = (problem is not None and not unreached
                    and random.random() < dyn.resolution_probability(skill, authority, lv.crm,
                                                                    handoff, loss,
                                                                    centricity))
        abandoned = problem is not None and not resolved and contacts >= p.max_contacts
        revealed = (problem is None and not unreached
                    and random.random() < model.defect_rate[touchpoint])
        experience = float(dyn.waited_experience(
            dyn.contact_experience(quality, problem is not None, resolved, contacts, abandoned,
                                   revealed), wait, p.wait_penalty))
        model.today["unreached"] += int(unreached)
        model.today["waited"] += wait
        self._judge(experience)
        # --- survey
        answered = random.random() < p.response_rate
        csat = int(dyn.csat_answer(self.satisfaction, model.rng.standard_normal())) \
            if answered else 0
        nps = int(dyn.nps_answer(self.satisfaction, model.rng.standard_normal())) \
            if answered else 0
        # --- problem bookkeeping
        if problem is not None:
            if resolved or abandoned:
                self.last_outcome = (UNRESOLVED if abandoned else
                                     RESOLVED_FIRST if contacts == 1 else RESOLVED_REPEAT)
                self.problem = None
            else:
                problem.contacts += 1
        if revealed:
            self._open_problem(touchpoint)
        # --- the pain point reaches its cause directly, or through ties, metrics, systems
        pain_received = problem is not None and (
            department == cause or random.random() < dyn.pain_flow(
                model.department_silo[cause], lv.shared_metrics[cause, MANAGER], lv.crm,
                lv.voc))
        # --- renewal or churn, spend
        at_renewal = model.structure.touchpoints[touchpoint].stage == "renewal"
        if acquiring:
            leaves = False
        elif at_renewal:
            leaves = random.random() >= dyn.renewal_probability(
                self.loyalty, p.renewal_midpoint, p.renewal_gain)
        else:
            leaves = random.random() < dyn.contact_churn_probability(
                self.satisfaction, p.contact_churn_hazard, p.churn_sensitivity)
        if at_renewal and not leaves:
            self.renewal_day += p.contract_days
        if acquiring:
            self.acquisition_step += 1
            if self.acquisition_step == len(model.acquisition_touchpoints):
                self.acquisition_step = None
        self.spend_rate = 0.0 if leaves else self._spend_rate()
        if leaves:
            self._churn()
        else:
            self._schedule_next_contact()
        # --- the employee's workload, and today's tallies
        if server is not None:
            server.take_contact(effort)
        first_contact = problem is not None and contacts == 1
        self.last_contact_outcome = CONTACT_OUTCOMES.index(
            "no_problem" if problem is None else "resolved_first" if resolved and first_contact
            else "resolved_repeat" if resolved else "unresolved" if abandoned else "open")
        model.record_contact(Contact(
            customer=self.unique_id, churned=leaves,
            touchpoint=touchpoint, department=department,
            team=server.team if server is not None else -1, quality=quality,
            answered=answered, csat=csat, nps=nps, problem=problem is not None,
            first_contact=first_contact, resolved=resolved,
            revealed=revealed, abandoned=abandoned, contacts_so_far=contacts,
            resolution_days=day - problem.opened_on if problem is not None else 0,
            pain_touchpoint=problem.source if problem is not None else -1,
            pain_received=pain_received))

    def _judge(self, experience: float) -> None:
        """Expectation-disconfirmation with a peak-end memory; loyalty and expectations
        follow."""
        p = self.model.p
        affect = float(dyn.disconfirmation_affect(experience, self.expectation,
                                                  p.loss_aversion))
        mean_affect, peak_affect = dyn.remember(self.mean_affect, self.peak_affect, affect,
                                                p.memory_rate, p.peak_decay)
        self.mean_affect, self.peak_affect, self.end_affect = (
            float(mean_affect), float(peak_affect), affect)
        self.satisfaction = float(dyn.judged_satisfaction(
            self.mean_affect, self.peak_affect, self.end_affect, p.peak_weight, p.end_weight,
            p.satisfaction_gain, p.satisfaction_offset))
        self.loyalty = float(dyn.drift(self.loyalty, self.satisfaction, p.loyalty_rate))
        self.expectation = float(dyn.drift(self.expectation, experience,
                                           p.expectation_adaptation))

    def _open_problem(self, touchpoint: int) -> None:
        """A defect at ``touchpoint``: the customer takes it to the touchpoint itself if
        its department owns CX there (and it is not self-service), else to support."""
        model = self.model
        cause = int(model.tp_owner[touchpoint])
        at_source = self.random.random() < model.levers.ownership[cause, FRONTLINE]
        self_service = model.structure.touchpoints[touchpoint].digital == "always"
        self.problem = Problem(
            source=touchpoint,
            route=touchpoint if at_source and not self_service else model.support_touchpoint,
            opened_on=model.day,
            needs_cause_department=self.random.random() < model.p.handoff_need)

    def _spend_rate(self) -> float:
        p = self.model.p
        return float(self.value * dyn.spend_multiplier(self.loyalty, p.spend_loyalty_elasticity)
                     / 365.0)

    def _churn(self) -> None:
        """Leave; leaving with a problem still open is leaving with it unresolved. The
        place in the market returns to it ``market_return_days`` later."""
        model = self.model
        if self.problem is not None:
            self.last_outcome = UNRESOLVED
        self.status = CHURNED
        self.problem = None
        self.next_contact = None
        model.today["churned"] += 1
        model.churn_counts[self.last_outcome] += 1
        model.returning.setdefault(model.day + model.p.market_return_days, []).append(self)

    def return_to_market(self) -> None:
        """A new prospect takes this churned customer's place in the market, starting
        from the place's initial state."""
        self.status = PROSPECT
        self.satisfaction = float(dyn.logistic(self.model.p.satisfaction_offset))
        self.mean_affect = self.peak_affect = self.end_affect = 0.0
        self.loyalty, self.expectation = self.initial_loyalty, self.initial_expectation
        self.last_outcome = NO_PROBLEM
        self.last_contact_outcome = -1
        self.renewal_day = None

    def _schedule_next_contact(self) -> None:
        """A repeat contact in a few days while a problem is open; the next acquisition
        touchpoint tomorrow; otherwise the next routine contact, no later than the
        renewal day."""
        model, p, day = self.model, self.model.p, self.model.day
        if self.problem is not None:
            self.next_contact = day + int(model.rng.geometric(1.0 / p.repeat_delay_days))
            return
        if self.acquisition_step is not None:
            self.next_contact = day + 1
            return
        self.next_contact = day + int(model.rng.geometric(1.0 / p.contact_interval_days))
        if self.renewal_day > day:
            self.next_contact = min(self.next_contact, self.renewal_day)

    def __repr__(self) -> str:
        return (f"CustomerAgent({self.status}, segment={self.segment}, "
                f"satisfaction={self.satisfaction:.2f}, loyalty={self.loyalty:.2f})")
