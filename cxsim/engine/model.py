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
import pickle
from collections.abc import Iterable, Mapping
from functools import partial
from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core import organisation as org
from cxsim.core.enums import OUTCOME_NAMES, ContactOutcome, CustomerStatus, Level
from cxsim.core.parameters import PARAMETERS, Config, ParameterError
from cxsim.core.streams import RandomStreams, check_seed, fresh_seed
from cxsim.core.structure import Structure
from cxsim.engine import phases
from cxsim.engine.agents import Customer, Employee
from cxsim.engine.compiled import jit
from cxsim.engine.interventions import Intervention, Levers
from cxsim.engine.interventions import from_dict as intervention_from_dict
from cxsim.engine.metrics import (
    DAILY_METRICS,
    Recorder,
    UnitLedger,
    engagement_snapshot,
    new_day_counters,
)
from cxsim.engine.phases.customers import NEVER
from cxsim.engine.phases.service import advance_calendars
from cxsim.engine.phases.workforce import measure_digital_channel, train_positions

PROSPECT, ACTIVE, CHURNED = CustomerStatus
EXECUTIVE, MANAGER, FRONTLINE = Level
EXECUTIVE_LEVEL, MANAGER_LEVEL, FRONTLINE_LEVEL = (int(level) for level in Level)
NO_PROBLEM, RESOLVED_FIRST, RESOLVED_REPEAT, UNRESOLVED = ContactOutcome


#: The customer state a contact reads and writes, kept as one record per customer row
#: (see CXModel._pack_customers): the ``c_<name>`` arrays are views of these fields.
CUSTOMER_TABLE = (
    "unit", "value", "expectation", "status", "mean_affect", "peak_affect", "end_affect",
    "satisfaction", "loyalty", "start_day", "renewal_day", "calendar_index", "calendar_day",
    "problem_open", "problem_source", "problem_route", "problem_contacts", "problem_start",
    "needs_handoff", "last_outcome", "last_contact_outcome", "acquisition_step",
    "spend_rate")


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
        #: The parameters of ``p`` as plain attributes (the same values, faster to read in
        #: the daily phases than the Config's validated lookup).
        self.params = SimpleNamespace(**self.p.to_flat())
        self._baseline_levers: Levers | None = None
        #: The run's seed (drawn from the operating system if none was given).
        self.seed = fresh_seed() if rng is None else check_seed(rng)
        super().__init__(rng=self.seed)
        #: Counter-based random streams, one per purpose (common random numbers).
        self.streams = RandomStreams(self.seed)
        self.interventions: list[Intervention] = ivs
        self.day = 0
        self.window_start: dict[str, np.ndarray] | None = None
        self.unit_ledger: UnitLedger | None = None
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
        self.datacollector = DailyCollector(model_reporters=metric_reporters())
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
        #: Smoothed utilisation of each (department, level) group (row department * 3 +
        #: level): customer workload offered over what its staff can carry.
        self.utilisation = np.zeros(self.n_departments * 3)
        self.offered = np.zeros(self.n_departments * 3)
        #: Fixed per-position draws that decide who is covered by a programme and
        #: on which day of a cycle (so coverage is stable and sessions spread out).
        self.coverage_draw = rng.random(n)
        self.employee_phase = rng.integers(0, org.PHASE_RANGE, n)
        self.coach_draw = rng.random(n)
        #: Personal disposition to engage (logit scale), redrawn for each new hire.
        self.disposition = org.incumbent_dispositions(
            rng, n, p.disposition_sd, p.disengaged_quit_factor,
            org.own_engagement_weight(p.engagement_rate, p.social_influence_rate))
        self._agents_by_row: list[Employee | None] = [Employee(self, r) for r in range(n)]
        # every position by (department, level): fixed for the run (servers are drawn here
        # first, see _pick_servers)
        key = self.department * 3 + self.level
        #: Each position's (department, level) group (row department * 3 + level), its
        #: department's manager and executive groups, and masks of fixed position kinds.
        self._position_group = key
        self._manager_group = self.department * 3 + MANAGER
        self._executive_group = self.department * 3 + EXECUTIVE
        self._is_frontline = self.level == FRONTLINE
        self._is_executive = self.level == EXECUTIVE
        self._digital_positions = self.department == self.digital_department
        self._group_capacity: tuple[float, np.ndarray] | None = None
        self._positions_by_key = np.argsort(key, kind="stable")
        self._position_count = np.bincount(key, minlength=self.n_departments * 3)
        self._position_start = np.concatenate([[0], np.cumsum(self._position_count)[:-1]])
        #: Business unit of each position, and the positions by (department, level, unit)
        #: (a customer is served by their unit's staff where there are any).
        self.n_units = p.business_units
        self.unit = org.business_units(positions, self.n_units)
        #: Each unit's local working climate (logit offset on its members' disposition to
        #: engage), and that of each position's unit.
        self.unit_climate = org.unit_climates(self.streams.generator("unit_climate").normal(
            0.0, p.unit_climate_sd, self.n_units), self.unit)
        self.position_climate = self.unit_climate[self.unit]
        unit_key = key * self.n_units + self.unit
        self._unit_positions_by_key = np.argsort(unit_key, kind="stable")
        self._unit_position_count = np.bincount(unit_key,
                                                minlength=self.n_departments * 3 * self.n_units)
        self._unit_position_start = np.concatenate(
            [[0], np.cumsum(self._unit_position_count)[:-1]])
        self._roster_dirty = False
        #: The touchpoints' service groups at the current rosters (see
        #: cxsim.engine.phases.service.touchpoint_groups), and the keys of the streams a
        #: contact draws from (cxsim.engine.phases.service.CONTACT_PURPOSES).
        self._touchpoint_groups: tuple[np.ndarray, ...] | None = None
        self._contact_keys: np.ndarray | None = None
        self.refresh_rosters()
        measure_digital_channel(self)

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
        #: Each customer's (and prospect's) business unit.
        self.c_unit = self.streams.generator("units").choice(
            self.n_units, size=capacity, p=org.unit_customer_shares(self.unit, self.level,
                                                                    self.n_units))
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
        self.c_next_contact[:n0] = np.minimum(advance_calendars(self, np.arange(n0), -1),
                                              self.c_renewal_day[:n0])
        self.c_problem_open = np.zeros(capacity, dtype=bool)
        self.c_problem_source = np.zeros(capacity, dtype=np.int64)
        self.c_problem_route = np.zeros(capacity, dtype=np.int64)
        self.c_problem_contacts = np.zeros(capacity, dtype=np.int64)
        self.c_problem_start = np.zeros(capacity, dtype=np.int64)
        self.c_needs_handoff = np.zeros(capacity, dtype=bool)
        self.c_last_outcome = np.zeros(capacity, dtype=np.int8)
        #: outcome code (cxsim.engine.metrics.CONTACT_OUTCOMES) of the customer's latest
        #: contact, -1 before their first
        self.c_last_contact_outcome = np.full(capacity, -1, dtype=np.int8)
        #: Index of the next acquisition touchpoint of a new customer (-1: none left).
        self.c_acquisition_step = np.full(capacity, -1, dtype=np.int64)
        self.c_spend_rate = np.zeros(capacity)
        self.c_spend_rate[:n0] = self.c_value[:n0] * dyn.spend_multiplier(
            self.c_loyalty[:n0], p.spend_loyalty_elasticity) / 365.0
        #: Each row's initial expectation and loyalty: a row that returns to the market
        #: (a new prospect in a churned customer's place) starts from them again.
        self.c_expectation0 = self.c_expectation.copy()
        self.c_loyalty0 = self.c_loyalty.copy()
        #: Prospects that can be won, a stack: rows [0, prospects_left) (returning rows
        #: are pushed on top); churned rows wait for their return day in ``_returning``.
        self.prospect_stack = np.zeros(capacity, dtype=np.int64)
        self.prospect_stack[:capacity - n0] = rng.permutation(np.arange(n0, capacity))
        self._returning: dict[int, list[np.ndarray]] = {}
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
        self._pack_customers()

    def _pack_customers(self) -> None:
        """Lay the state a contact reads and writes (:data:`CUSTOMER_TABLE`) out as one
        record per customer row, each ``c_`` array of it a view of its field: a contact
        then touches a few cache lines instead of one per array (same values, same
        results; the arrays scanned whole every day, such as ``c_next_contact``, stay
        apart)."""
        table = np.empty(self.n_customer_rows, dtype=[
            (name, getattr(self, "c_" + name).dtype) for name in CUSTOMER_TABLE])
        for name in CUSTOMER_TABLE:
            table[name] = getattr(self, "c_" + name)
            setattr(self, "c_" + name, table[name])
        self._customer_table = table

    # ------------------------------------------------------------------ public API

    def baseline_levers(self) -> Levers:
        """The levers before interventions (the baseline parameters): a fresh copy of
        :meth:`Levers.baseline` of the model's inputs (built once; interventions change
        the copy)."""
        if self._baseline_levers is None:
            self._baseline_levers = Levers.baseline(self.p, self.structure)
        return copy_levers(self._baseline_levers)

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
        """One day: the phases of :data:`cxsim.engine.phases.DAY` in order (interventions,
        acquisition, service, voice of the customer, workforce, turnover and hiring),
        then the day's metrics.

        Raises:
            ParameterError: the model is already at its horizon.
        """
        check_not_past_horizon(self)
        self._reset_today()
        for phase in phases.DAY:
            phase(self)
        self.day += 1
        self.recorder.measure(self)
        self.datacollector.collect(self)
        if self.day == self.horizon - self.params.summary_window_days:
            #: Customers and units at the start of the final window, followed forward by
            #: :func:`cxsim.engine.metrics.engagement_quadrants`.
            self.window_start = engagement_snapshot(self)
            #: Each business unit's operating account over the final window.
            self.unit_ledger = UnitLedger(self.n_units)
        elif self.unit_ledger is not None:
            self.unit_ledger.add(self)
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
        # the collected daily values are immutable scalars: the child gets new lists of
        # the same values (deep-copying each of them costs as much as the rest of the model)
        collected = self.datacollector.model_vars
        memo = {id(collected): {name: list(values) for name, values in collected.items()}}
        # the child's customer arrays stay views of one table (see _pack_customers)
        table = memo[id(self._customer_table)] = self._customer_table.copy()
        for name in CUSTOMER_TABLE:
            memo[id(getattr(self, "c_" + name))] = table[name]
        # the network (plain data, no reference to the model) through pickle: the same
        # graph, dict orders included, in a tenth of deepcopy's time
        memo[id(self.network)] = pickle.loads(pickle.dumps(self.network, -1))
        child = copy.deepcopy(self, memo)
        child.interventions = ivs
        for iv in ivs:
            iv.initialise(child)
        return child

    def refresh_rosters(self) -> None:
        """Index filled positions by (department, level) for fast random picks."""
        (self._roster, self._roster_count, self._roster_start, self._roster_fallback,
         self._unit_roster, self._unit_roster_count, self._unit_roster_start) = rosters(
            self.department, self.level, self.unit, self.active, self.n_departments,
            self.n_units, self.support_department)

    def train(self, who: np.ndarray, hours: float) -> None:
        """Give ``hours`` of CX training to positions in the boolean mask ``who``."""
        train_positions(np.flatnonzero(who), float(hours), self.levers.training_effect,
                        self.params.learning_per_hour, self.day, self.skill,
                        self.training_hours, self.last_trained)

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
        self.vacate(rows)
        self.refresh_rosters()
        return k

    def vacate(self, rows: np.ndarray) -> None:
        """Vacate the positions ``rows`` (their holders leave; agents removed)."""
        self.active[rows] = False
        for r in rows.tolist():
            agent = self._agents_by_row[r]
            if agent is not None:
                agent.remove()
                self._agents_by_row[r] = None
        self._roster_dirty = True

    # ------------------------------------------------------------------ bookkeeping

    def _reset_today(self) -> None:
        self.today = new_day_counters()
        self.load = np.zeros(self.n_employees)
        self.offered = np.zeros(self.n_departments * 3)
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


@jit
def rosters(department, level, unit, active, n_departments, n_units, support_department):
    """The filled positions indexed by (department, level) group (``department * 3 +
    level``) and by (group, business unit), for fast random picks (compiled). Returns
    the roster (positions sorted by group, stably), each group's count and start in it,
    each group's fallback (itself if filled; else the department's other levels, then
    support's frontline and managers), and the same roster, counts and starts by
    (group, unit) (``group * n_units + unit``)."""
    key = department * 3 + level
    filled = np.flatnonzero(active)
    order = filled[np.argsort(key[filled], kind="mergesort")]
    roster = order if order.size else np.zeros(1, dtype=np.int64)
    counts = np.bincount(key[filled], minlength=n_departments * 3)
    starts = np.zeros(counts.size, dtype=np.int64)
    starts[1:] = np.cumsum(counts)[:-1]
    fallback = np.arange(n_departments * 3)
    for k in range(fallback.size):
        if counts[k] == 0:
            d = k // 3
            for option in (d * 3 + FRONTLINE_LEVEL, d * 3 + MANAGER_LEVEL,
                           d * 3 + EXECUTIVE_LEVEL, support_department * 3 + FRONTLINE_LEVEL,
                           support_department * 3 + MANAGER_LEVEL):
                if counts[option] > 0:
                    fallback[k] = option
                    break
    unit_key = key * n_units + unit
    order = filled[np.argsort(unit_key[filled], kind="mergesort")]
    unit_roster = order if order.size else np.zeros(1, dtype=np.int64)
    unit_counts = np.bincount(unit_key[filled], minlength=n_departments * 3 * n_units)
    unit_starts = np.zeros(unit_counts.size, dtype=np.int64)
    unit_starts[1:] = np.cumsum(unit_counts)[:-1]
    return roster, counts, starts, fallback, unit_roster, unit_counts, unit_starts


def copy_levers(levers: Levers) -> Levers:
    """A copy of ``levers`` whose arrays are copies too (the scalars are immutable)."""
    fresh = copy.copy(levers)
    for name, value in vars(levers).items():
        if isinstance(value, np.ndarray):
            setattr(fresh, name, value.copy())
    return fresh


class DailyCollector(mesa.DataCollector):
    """Mesa's DataCollector of the daily metrics (reporters from :func:`metric_reporters`),
    collecting each day's values straight from the model's Recorder, where they are
    already computed: the same rows Mesa's own ``collect`` would store (each reporter
    returns ``recorder.current[name]``, an immutable scalar, so no deep copy is needed).
    Any other reporter, and the first collection (Mesa validates the reporters then), go
    through Mesa's ``collect``."""

    #: Whether every reporter is a daily metric's (decided at the second collection).
    _from_recorder: bool | None = None

    def collect(self, model: Any) -> None:
        if self._from_recorder is None and self._validated:
            self._from_recorder = (
                not self.agent_reporters and not getattr(self, "agenttype_reporters", None)
                and all(isinstance(r, partial) and r.func is daily_metric and r.args == (name,)
                        for name, r in self.model_reporters.items()))
        if not self._from_recorder:
            super().collect(model)
            return
        if hasattr(self, "_collection_steps"):  # Mesa 3.5 records the collection's time
            self._collection_steps.append(model.time)
        current = model.recorder.current
        for name, values in self.model_vars.items():
            values.append(current[name])


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
