"""ReferenceModel: the cxsim model written the idiomatic Mesa way, for docking.

Every employee and every customer (prospects included) is a :class:`mesa.Agent`
with its own state and ``step``, activated through the model's AgentSets. A day
is the same list of phases as :meth:`cxsim.engine.model.CXModel.step`, in the same order
and with the same synchronous semantics; each phase loops over agents.

What is shared with the engine, so that it is defined once: parameters and their
validation (:class:`~cxsim.core.parameters.Config`, :class:`~cxsim.core.structure.Structure`,
the intervention classes), the formulas and constants of :mod:`cxsim.core.dynamics`,
the organisation builders of :mod:`cxsim.core.organisation`, the baseline levers, the
metrics (:class:`~cxsim.engine.metrics.Recorder`, the DataCollector reporters) and
:class:`~cxsim.results.Result`. What is written independently here and in
:mod:`cxsim.reference.agents`: all the bookkeeping of agents (who contacts whom,
who serves, handoffs, problems, memories, renewals and churn, acquisition, network
influence from each agent's neighbours, turnover and hiring, counts of customers).
Random draws come from the model's generators (``self.rng`` and ``self.random``)
in a different order than the engine's, so the two agree in distribution, not
draw for draw: see ``docs/docking.md``.

It is meant for small organisations (hundreds of employees, tens of thousands of
customers); use :class:`cxsim.engine.model.CXModel` for anything larger.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import mesa
import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core import organisation as org
from cxsim.core.parameters import Config
from cxsim.core.streams import check_seed, fresh_seed
from cxsim.core.structure import Structure
from cxsim.engine.interventions import Intervention, Levers, apply_interventions
from cxsim.engine.metrics import Recorder, new_day_counters
from cxsim.engine.model import (
    OUTCOME_NAMES,
    check_not_past_horizon,
    metric_reporters,
    model_signature,
    resolve_inputs,
    run_to_horizon,
)
from cxsim.reference.agents import (
    ACTIVE,
    PROSPECT,
    Contact,
    CustomerAgent,
    EmployeeAgent,
)
from cxsim.results import Result


def _assembled(attribute: str, doc: str, writable: bool = False) -> property:
    """An array by position of an employee attribute, assembled from the agents (for the
    Recorder and interventions, which read the engine's arrays). ``writable``: assigning
    an array writes each filled position's value back to its holder (the group_practice
    intervention holds employees' state this way on both models)."""

    def get(model: ReferenceModel) -> np.ndarray:
        return np.array([0.0 if e is None else getattr(e, attribute)
                         for e in model._holders], dtype=float)

    def put(model: ReferenceModel, values: np.ndarray) -> None:
        for holder, value in zip(model._holders, np.asarray(values, dtype=float).tolist()):
            if holder is not None:
                setattr(holder, attribute, value)

    return property(get, put if writable else None, doc=doc)


class ReferenceModel(mesa.Model):
    """Per-agent reference implementation of :class:`cxsim.engine.model.CXModel`.

    Same keyword parameters, scenario inputs, validation and error messages, and
    the same metrics (``Result(model, seed)`` works unchanged).

    Interventions act on the model through the interface they use on the engine:
    ``levers``, ``p``, ``structure``, ``n_employees``, the position table
    (``department``, ``level``, ``coverage_draw``, ``employee_phase``: numpy arrays
    indexed by position), ``active`` and ``hired_today`` (boolean arrays assembled
    from the agents on each access), and the methods :meth:`train`,
    :meth:`recognise`, :meth:`add_cross_ties`, :meth:`cut_cross_ties` and
    :meth:`lay_off`, which loop over the agents concerned. The
    :class:`~cxsim.engine.metrics.Recorder` reads the employees' state through the same
    kind of assembled arrays (``engagement``, ``skill``, ...).

    Args:
        config: base configuration; keyword parameters override it.
        interventions: intervention objects or scenario-file tables.
        structure: departments, touchpoints and segments (default structure if None).
        rng: seed of the model's random generators.

    Raises:
        ParameterError: an unknown parameter or a value out of range (same
            messages as the engine's).
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
        self.interventions: list[Intervention] = ivs
        self.day = 0
        self.burn_in = self.p.burn_in_days
        self.horizon = self.p.burn_in_days + self.p.days
        self.today: dict[str, float] = {}
        self._read_structure()
        self._build_organisation()
        self._build_customers()
        for iv in self.interventions:
            iv.initialise(self)
        self.levers = self.baseline_levers()
        self.recorder = Recorder(self)
        self.datacollector = mesa.DataCollector(
            model_reporters=metric_reporters())
        self._start_day()
        self._count_customers()
        self.recorder.measure(self)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ set-up

    def _read_structure(self) -> None:
        """Departments and touchpoints as the agents look them up."""
        s = self.structure
        self.n_departments = len(s.departments)
        self.support_department = s.department_index("support")
        #: The department that runs the digital channel (owner of the self-service touchpoint).
        self.digital_department = s.digital_department
        self.n_touchpoints = len(s.touchpoints)
        self.tp_owner = np.array(s.touchpoint_owners, dtype=np.int64)
        self.tp_defect_multiplier = np.array([t.defect_multiplier for t in s.touchpoints])
        #: Today's probability that a contact at each touchpoint reveals a problem.
        self.defect_rate = self.p.defect_rate * self.tp_defect_multiplier
        self.acquisition_touchpoints = s.stage_touchpoints("acquisition")
        self.renewal_touchpoint = s.stage_touchpoints("renewal")[0]
        self.support_touchpoint = s.stage_touchpoints("support")[0]
        self._choices: dict[str, tuple[list[int], list[float]]] = {
            stage: (s.stage_touchpoints(stage), s.stage_weights(stage))
            for stage in ("routine", "onboarding")}

    def _build_organisation(self) -> None:
        """Positions, reporting tree and informal network (shared builders), then one
        EmployeeAgent per position."""
        p = self.p
        n = self.n_employees = p.n_employees
        positions = org.build_positions(n, p.span_of_control, self.structure)
        self.department = positions.department
        self.level = positions.level
        self.boss = positions.boss
        #: Business unit of each position (shared builder).
        self.unit = org.business_units(positions, p.business_units)
        #: Each unit's local working climate (logit offset on its members' disposition).
        self.unit_climate = org.unit_climates(
            self.rng.normal(0.0, p.unit_climate_sd, p.business_units), self.unit)
        #: Share of the customers each unit serves (shared rule).
        self.unit_shares = org.unit_customer_shares(self.unit, self.level, p.business_units)
        self.team = positions.team
        self.team_leaders = positions.team_leaders
        self.baseline_authority = org.authority_baseline(p.baseline_empowerment,
                                                         self.n_departments)
        #: Fixed per-position draws: who a programme covers and on which day of a cycle,
        #: and whether the holder of a (manager) position coaches at a given coaching share.
        self.coverage_draw = self.rng.random(n)
        self.employee_phase = self.rng.integers(0, org.PHASE_RANGE, n)
        self.coach_draw = self.rng.random(n)
        self._holders: list[EmployeeAgent | None] = [EmployeeAgent.initial(self, position)
                                                     for position in range(n)]
        #: Vacant positions waiting for a hire: position -> first day a hire can start.
        self.vacancies: dict[int, int] = {}
        #: Positions eliminated by layoffs (never filled again).
        self.eliminated: set[int] = set()
        self.network = org.build_network(positions, p.silo_strength, p.ties_per_employee,
                                         self.rng)
        self._measure_network()
        self._measure_digital_channel()
        #: Employees on duty today by (department, level), for picking who serves.
        self._on_duty: dict[tuple[int, int], list[EmployeeAgent]] = {}
        #: Smoothed utilisation of each (department, level) group (row department * 3 +
        #: level), and the workload offered to each today.
        self.utilisation = np.zeros(self.n_departments * 3)
        self.offered = np.zeros(self.n_departments * 3)

    def _build_customers(self) -> None:
        """One CustomerAgent per customer: the initial base, then the prospect pool."""
        p, rng = self.p, self.rng
        n0 = p.n_customers
        capacity = n0 + int(round(n0 * p.prospect_pool_share))
        segments = self.structure.segments
        shares = [s.share for s in segments]
        mean_multiplier = sum(s.share * s.value_multiplier for s in segments) / sum(shares)
        for row in range(capacity):
            k = self.random.choices(range(len(segments)), weights=shares)[0]
            segment = segments[k]
            multiplier = (segment.value_multiplier / mean_multiplier if mean_multiplier > 0
                          else segment.value_multiplier)
            customer = CustomerAgent(
                self, k, unit=int(rng.choice(p.business_units, p=self.unit_shares)),
                value=p.revenue_per_customer * multiplier,
                expectation=float(dyn.clip01(segment.expectation
                                             + rng.normal(0.0, org.EXPECTATION_SD))),
                loyalty=float(dyn.clip01(rng.normal(*org.START_LOYALTY))))
            if row < n0:
                customer.start_as_existing_customer()
        self.prospect_pool = max(capacity - n0, 1)
        #: Churned customers by the day their place returns to the market.
        self.returning: dict[int, list[CustomerAgent]] = {}
        #: Churned customers so far, by how their latest problem ended.
        self.churn_counts = np.zeros(len(OUTCOME_NAMES), dtype=np.int64)

    def baseline_levers(self) -> Levers:
        """Levers before interventions: the shared rule (:meth:`Levers.baseline`)."""
        return Levers.baseline(self.p, self.structure)

    # ------------------------------------------------------------------ agents

    @property
    def employees(self) -> mesa.agent.AgentSet:
        """The employees (holders of filled positions)."""
        return self.agents_by_type[EmployeeAgent]

    @property
    def customers(self) -> mesa.agent.AgentSet:
        """Every customer agent: prospects, active and churned customers."""
        return self.agents_by_type[CustomerAgent]

    def employee_at(self, position: int) -> EmployeeAgent | None:
        """The employee holding ``position`` (None if vacant)."""
        return self._holders[position]

    def hire(self, position: int) -> EmployeeAgent:
        """Fill the vacant ``position`` with a new hire (who starts tomorrow)."""
        self._holders[position] = EmployeeAgent.new_hire(self, position)
        return self._holders[position]

    def vacate(self, position: int) -> None:
        """Mark ``position`` vacant (its holder is leaving)."""
        self._holders[position] = None

    def coaches(self, position: int) -> bool:
        """Whether the holder of ``position`` coaches (a vacant position does not)."""
        department = self.department[position]
        return (self._holders[position] is not None
                and self.coach_draw[position] < self.levers.coaching[department, org.MANAGER])

    def choose_touchpoint(self, stage: str) -> int:
        """A touchpoint of ``stage`` (routine or onboarding), drawn by its weight."""
        options, weights = self._choices[stage]
        return self.random.choices(options, weights=weights)[0]

    def serving_group(self, department: int, level: int) -> tuple[int, int] | None:
        """The (department, level) group that serves contacts meant for ``department`` at
        ``level``: that group if anyone is on duty in it, else the department's
        frontline, then its managers, then its executives, then support's frontline and
        managers; None if nobody at all."""
        support = self.support_department
        for key in ((department, level), (department, org.FRONTLINE), (department, org.MANAGER),
                    (department, org.EXECUTIVE), (support, org.FRONTLINE),
                    (support, org.MANAGER)):
            if self._on_duty.get(key):
                return key
        return None

    def pick_server(self, group: tuple[int, int], unit: int) -> EmployeeAgent:
        """A random employee on duty in ``group`` (see :meth:`serving_group`): one of the
        customer's business ``unit`` if any is on duty there, else any."""
        staff = self._on_duty[group]
        own = [e for e in staff if e.unit == unit]
        return self.random.choice(own or staff)

    def utilisation_of(self, group: tuple[int, int] | None) -> float:
        """Smoothed utilisation of a (department, level) group (0 for None)."""
        return 0.0 if group is None else float(self.utilisation[group[0] * 3 + group[1]])

    def offer(self, group: tuple[int, int], effort: float) -> None:
        """Add a contact's ``effort`` to the workload offered to ``group`` today."""
        self.offered[group[0] * 3 + group[1]] += effort

    def record_contact(self, contact: Contact) -> None:
        """Keep one contact for today's tallies."""
        self._contacts.append(contact)

    # ------------------------------------------------------------------ arrays for
    # interventions and the Recorder, assembled from the agents on each access

    @property
    def active(self) -> np.ndarray:
        """Filled positions (boolean, by position)."""
        return np.array([e is not None for e in self._holders])

    @property
    def hired_today(self) -> np.ndarray:
        """Positions whose holder starts today (hired at the end of yesterday)."""
        return np.array([e is not None and e.first_day == self.day for e in self._holders])

    engagement = _assembled("engagement", "Engagement of each position's holder (0 if vacant).",
                            writable=True)
    skill = _assembled("skill", "CX skill of each position's holder (0 if vacant).",
                            writable=True)
    empowerment = _assembled("empowerment", "Empowerment of each position's holder.",
                            writable=True)
    centricity = _assembled("centricity", "Customer-centricity of each position's holder.",
                            writable=True)
    strain = _assembled("strain", "Strain of each position's holder (0 if vacant).")
    load = _assembled("load", "Today's workload of each position's holder (0 if vacant).")

    @property
    def last_trained(self) -> np.ndarray:
        """Day of each holder's latest training (-inf if never or vacant)."""
        return np.array([-np.inf if e is None or e.last_trained is None else e.last_trained
                         for e in self._holders])

    @property
    def outcome_customers(self) -> np.ndarray:
        """Active customers by how their latest problem ended (OUTCOME_NAMES order)."""
        return self._outcomes(ACTIVE)

    @property
    def churn_by_outcome(self) -> np.ndarray:
        """Churned customers so far by how their latest problem ended (OUTCOME_NAMES order)."""
        return self.churn_counts.copy()

    def _outcomes(self, status: str) -> np.ndarray:
        counts = Counter(c.last_outcome for c in self.customers if c.status == status)
        return np.array([counts[i] for i in range(len(OUTCOME_NAMES))], dtype=np.int64)

    # ------------------------------------------------------------------ the day

    @property
    def intervention_day(self) -> int:
        """Day counted from the end of the warm-up (negative during warm-up)."""
        return self.day - self.burn_in

    def step(self) -> None:
        """One day: the same phases, in the same order, as CXModel.step.

        Raises:
            ParameterError: the model is already at its horizon.
        """
        check_not_past_horizon(self)
        self._start_day()
        self._apply_interventions()
        self._acquire_customers()
        self._serve_customers()
        self._tally_contacts()
        self._voice_of_customer()
        self._update_workforce()
        self._turnover_and_hiring()
        self.day += 1
        self._count_customers()
        self.recorder.measure(self)
        self.datacollector.collect(self)
        if self.day >= self.horizon:
            self.running = False

    def run(self, progress: bool = False) -> ReferenceModel:
        """Run to the horizon (warm-up plus ``days``); returns self."""
        return run_to_horizon(self, progress, "cxsim reference")

    def _start_day(self) -> None:
        self.today = new_day_counters()
        self._contacts: list[Contact] = []
        self.employees.do(lambda employee: setattr(employee, "load", 0.0))
        self.offered = np.zeros(self.n_departments * 3)
        self.recorder.start_day()

    def _apply_interventions(self) -> None:
        """The shared intervention phase (levers, then events and costs)."""
        self.today["intervention_cost"] = apply_interventions(self)

    def _serve_customers(self) -> None:
        """Customers whose contact day is today contact the organisation."""
        self.take_roll_call()
        self.customers.do("step")

    def take_roll_call(self) -> None:
        """Note who is on duty today in each (department, level) group."""
        self._on_duty = {}
        for employee in self.employees:
            self._on_duty.setdefault((employee.department, employee.level), []).append(employee)

    def _acquire_customers(self) -> None:
        """Marketing and word of mouth win prospects, who become customers today."""
        p = self.p
        for customer in self.returning.pop(self.day, []):
            customer.return_to_market()
        prospects = self._count_customers()
        expected = dyn.expected_acquisitions(
            p.acquisition_rate, p.n_customers, self.promoters, self.detractors, p.referral_rate,
            p.deterrence_rate, p.social_amplification, len(self.customers) - self.active_customers,
            self.prospect_pool)
        k = min(int(self.rng.poisson(expected)), len(prospects))
        self.today["acquisitions"] = k
        for prospect in self.random.sample(prospects, k):
            prospect.join()

    def _tally_contacts(self) -> None:
        """Hand today's contacts to the shared Recorder."""
        if not self._contacts:
            return
        c = self._contacts

        def column(name: str, dtype: type) -> np.ndarray:
            return np.array([getattr(x, name) for x in c], dtype=dtype)

        answered = column("answered", bool)
        problem = column("problem", bool)
        resolved = column("resolved", bool)
        self.recorder.tally_interactions(
            touchpoint=column("touchpoint", np.int64), department=column("department", np.int64),
            team=column("team", np.int64), quality=column("quality", float), answered=answered,
            csat=column("csat", np.int8)[answered], nps=column("nps", np.int8)[answered],
            problem=problem, first_contact=column("first_contact", bool), resolved=resolved,
            revealed=column("revealed", bool), pain_tp=column("pain_touchpoint", np.int64)[problem],
            pain_received=column("pain_received", bool)[problem],
            contacts_so_far=column("contacts_so_far", np.int64),
            resolution_days=column("resolution_days", np.int64),
            abandoned=column("abandoned", bool), customers=column("customer", np.int64),
            churned=column("churned", bool))

    def _voice_of_customer(self) -> None:
        """Pain points that reached the department causing them lead to root-cause fixes
        there, faster where that department is customer-centric."""
        p = self.p
        for touchpoint in range(self.n_touchpoints):  # new defects as things change
            natural = p.defect_rate * self.tp_defect_multiplier[touchpoint]
            self.defect_rate[touchpoint] = float(dyn.defect_renewal(
                self.defect_rate[touchpoint], natural, p.defect_renewal_days))
        received = Counter(c.pain_touchpoint for c in self._contacts
                           if c.problem and c.pain_received)
        if not received:
            return
        staff: dict[int, list[float]] = {}
        for employee in self.employees:
            staff.setdefault(employee.department, []).append(employee.centricity)
        for touchpoint, count in received.items():
            owner = int(self.tp_owner[touchpoint])
            centricity = float(np.mean(staff[owner])) if staff.get(owner) else 0.0
            floor = p.defect_floor * self.tp_defect_multiplier[touchpoint]
            self.defect_rate[touchpoint] = dyn.root_cause_fix(
                self.defect_rate[touchpoint], floor, count * 1000.0 / max(p.n_customers, 1),
                centricity, p.root_cause_fix_rate)

    def _update_workforce(self) -> None:
        """Everyone notes their neighbours' state, then everyone updates (synchronous)."""
        p = self.p
        if p.routine_training_hours > 0:  # the routine training sessions due today
            for employee in self.employees:
                if (self.day + self.employee_phase[employee.position]) \
                        % org.ROUTINE_TRAINING_CYCLE == 0:
                    employee.train(p.routine_training_hours / 2.0)
        self.group_capacity = dyn.group_capacity(p.contact_capacity, self.levers.capacity,
                                                 p.manager_service_share, self.n_departments)
        staff = np.zeros(self.n_departments * 3)
        for (department, level), on_duty in self._on_duty.items():
            staff[department * 3 + level] = len(on_duty)
        self.utilisation = dyn.drift(self.utilisation, dyn.utilisation_today(
            self.offered, staff * self.group_capacity), dyn.LOAD_SMOOTHING)
        self.employees.do("look_around")
        self.employees.do("step")
        demands = [e.demand for e in self.employees]
        self.today["demand_mean"] = float(np.mean(demands)) if demands else 0.0
        self._measure_digital_channel()

    def _measure_digital_channel(self) -> None:
        """The digital channel is as good as its tools and the staff who run it."""
        staff = [e for e in self.employees if e.department == self.digital_department]
        self.digital_skill = float(np.mean([e.skill for e in staff])) if staff else 0.0
        self.digital_centricity = (float(np.mean([e.centricity for e in staff])) if staff
                                   else 0.0)

    def _turnover_and_hiring(self) -> None:
        """Some employees quit; positions vacant long enough get a new hire."""
        p = self.p
        leavers = [e for e in self.employees if e.decides_to_quit()]
        self.today["quits"] = len(leavers)
        self.recorder.tally_quits(np.array([e.department for e in leavers], dtype=np.int64))
        for employee in leavers:
            self.vacancies[employee.position] = self.day + p.hiring_delay_days
            employee.leave()
        starting = sorted(position for position, day in self.vacancies.items()
                          if day <= self.day)
        for position in starting:
            del self.vacancies[position]
            self.hire(position)
        self.today["hires"] = len(starting)
        self.today["hiring_cost"] = len(starting) * p.hiring_cost

    def _count_customers(self) -> list[CustomerAgent]:
        """Count active customers, promoters and detractors and today's revenue rate;
        returns the prospects."""
        active = promoters = detractors = 0
        revenue = 0.0
        prospects = []
        for customer in self.customers:
            if customer.status == ACTIVE:
                active += 1
                promoters += customer.promoter
                detractors += customer.detractor
                revenue += customer.spend_rate
            elif customer.status == PROSPECT:
                prospects.append(customer)
        self.active_customers = active
        self.promoters = promoters
        self.detractors = detractors
        self.revenue_rate = revenue
        return prospects

    # ------------------------------------------------------------------ network

    def _measure_network(self) -> None:
        """Ties and each department's effective silo strength (shared measure)."""
        edges = list(self.network.edges())
        first = [u for u, _ in edges]
        second = [v for _, v in edges]
        source = np.array(first + second, dtype=np.int64)
        target = np.array(second + first, dtype=np.int64)
        self.network_ties = len(edges)
        self.department_silo, self.silo_effective = org.effective_silo(
            source, target, self.department, self.n_departments)

    # ------------------------------------------------------------------ intervention events

    def train(self, who: np.ndarray, hours: float) -> None:
        """Give ``hours`` of CX training to the holders of positions in the mask ``who``."""
        for position in np.flatnonzero(who):
            employee = self._holders[position]
            if employee is not None:
                employee.train(hours)

    def recognise(self, who: np.ndarray, boost: float) -> None:
        """Recognise the holders of positions in the mask ``who``."""
        for position in np.flatnonzero(who):
            employee = self._holders[position]
            if employee is not None:
                employee.recognise(boost)

    def add_cross_ties(self, count: int, among: np.ndarray) -> None:
        """Try ``count`` new informal ties from positions in ``among`` to random positions;
        those that land in the same department or on an existing tie are dropped."""
        candidates = np.flatnonzero(among).tolist()
        if count <= 0 or not candidates:
            return
        for _ in range(count):
            source = self.random.choice(candidates)
            target = self.random.randrange(self.n_employees)
            if (self.department[source] != self.department[target]
                    and not self.network.has_edge(source, target)):
                self.network.add_edge(source, target, kind="informal")
        self._measure_network()

    def cut_cross_ties(self, share: float, among: np.ndarray) -> None:
        """Remove, with probability ``share`` each, the informal cross-department ties
        that touch a position in the boolean mask ``among``."""
        cut = [(u, v) for u, v, kind in self.network.edges(data="kind")
               if kind == "informal" and self.department[u] != self.department[v]
               and (among[u] or among[v]) and self.random.random() < share]
        self.network.remove_edges_from(cut)
        self._measure_network()

    def lay_off(self, among: np.ndarray, share: float) -> int:
        """Eliminate a ``share`` of the filled positions in ``among``; returns how many.
        Laid-off employees leave at once (they serve no one today)."""
        candidates = [int(r) for r in np.flatnonzero(among) if self._holders[r] is not None]
        k = int(round(share * len(candidates)))
        for position in self.random.sample(candidates, k):
            self.eliminated.add(position)
            self._holders[position].leave()
        return k


ReferenceModel.__init__.__signature__ = model_signature()


def run_reference(config: Config | Mapping[str, Any] | None = None, *, seed: int = 0,
                  interventions: Iterable[Intervention | Mapping[str, Any]] = (),
                  structure: Structure | Mapping[str, Any] | None = None,
                  progress: bool = False, **parameters: Any) -> Result:
    """Run one scenario on the reference model and return its :class:`~cxsim.results.Result`
    (the counterpart of :func:`cxsim.run`)."""
    model = ReferenceModel(config, interventions=interventions, structure=structure, rng=seed,
                           **parameters)
    model.run(progress=progress)
    return Result(model, seed)
