"""Interventions: the levers a consultant pulls, and shocks.

An intervention is a small class with a start day, a ramp, an optional duration,
target departments and levels, an intensity and a cost. Every day the model
resets its *levers* to the baseline parameters and asks each active
intervention to ``apply`` itself, scaled by its adoption (an S-shaped ramp:
change is adopted gradually). Some interventions also act on events (training
sessions, recognition rounds, ties added to the network, layoffs).

Days are counted from the end of the warm-up: ``start=0`` is the first day of
the intervention period. Costs are in the same currency as
``economics.revenue_per_customer``.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

import numpy as np
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from cxsim.core import dynamics as dyn
from cxsim.core import organisation as org
from cxsim.core.enums import LEVEL_NAMES
from cxsim.core.parameters import Config
from cxsim.core.structure import Structure
from cxsim.core.validation import (
    ParameterError,
    Rule,
    check_value,
    show_value,
    table_error_line,
    table_model,
    validate_table,
)
from cxsim.engine.compiled import jit

if TYPE_CHECKING:
    from cxsim.engine.protocol import InterventionTarget

LEVELS = LEVEL_NAMES


@dataclass
class InterventionRun:
    """What one intervention keeps while it runs in one model: its targets resolved
    against the model's structure, and the bookkeeping of its events. Created by
    :meth:`Intervention.initialise`, so every model (and every fork) has its own."""

    #: (departments x levels) mask of the targeted department and level pairs.
    target_mask: np.ndarray
    #: Cross-department ties added so far (collaboration, accountability partnerships).
    ties_added: int = 0
    #: Positions trained today (training) and recognised today (recognition).
    trained_today: int = 0
    recognised_today: int = 0
    #: Positions eliminated on the start day (layoffs).
    laid_off: int = 0
    #: Flat indices of the targeted cells of a (departments x levels) lever, and the
    #: targeted positions (whether filled or not), computed on first use.
    target_cells: np.ndarray | None = None
    target_positions: np.ndarray | None = None


class _PerRunState:
    """Declares an intervention's per-run state (:class:`InterventionRun`). Not a dataclass
    base, so the state is no field of the intervention: not part of its definition, its
    equality, its repr or ``to_dict``."""

    _run_state: InterventionRun | None = None

    @property
    def run_state(self) -> InterventionRun:
        """This intervention's state in the model that initialised it."""
        if self._run_state is None:
            raise AttributeError(f"{type(self).__name__} has no per-run state yet: a model "
                                 "creates it with initialise(model)")
        return self._run_state

    @property
    def target_mask(self) -> np.ndarray:
        """(departments x levels) mask of the targets (set by ``initialise``)."""
        return self.run_state.target_mask


@dataclass
class Intervention(_PerRunState):
    """Base class. Subclasses set ``kind`` and override ``apply`` / ``on_day``.

    Fields common to all interventions:

    * ``start``: first day (after the warm-up), >= 0.
    * ``ramp_days``: days for adoption to go from 0 to 1 (S-shaped).
    * ``duration``: days the intervention stays active (``None`` = to the end).
    * ``departments``: names of target departments (empty = all).
    * ``levels``: target levels among executive, manager, frontline (empty = all).
    * ``intensity``: strength in [0, 1].
    * ``fixed_cost``: one-off cost on the start day.
    * ``cost_per_employee_year``: running cost per targeted active employee per year.
    """

    kind: ClassVar[str] = ""
    #: What each field accepts (merged along the class hierarchy by :meth:`field_rules`):
    #: the one definition behind validation, ``cxsim schema`` and docs/scenario-reference.md.
    RULES: ClassVar[dict[str, Rule]] = {
        "start": Rule("int", 0, 3650, unit="days after the warm-up",
                      description="First day of the intervention (0 = the first day after "
                                  "the warm-up); must be before the horizon run.days."),
        "ramp_days": Rule("int", 0, 3650, unit="days",
                          description="Days for adoption to go from 0 to 1 (S-shaped)."),
        "duration": Rule("int", 1, 3650, nullable=True, unit="days",
                         description="Days the intervention stays active; leave out for "
                                     "'until the end of the run'."),
        "departments": Rule("names", description="Target departments (names in the "
                                                 "structure); empty or absent = all."),
        "levels": Rule("names", choices=LEVELS,
                       description="Target levels; empty or absent = all."),
        "intensity": Rule("float", 0, 1, unit="share",
                          description="Strength of the intervention."),
        "fixed_cost": Rule("float", 0, 1e9, unit="currency",
                           description="One-off cost on the start day."),
        "cost_per_employee_year": Rule(
            "float", 0, 1e7, unit="currency per targeted employee per year",
            description="Running cost per targeted active employee per year."),
    }
    start: int = 0
    ramp_days: int = 60
    duration: int | None = None
    departments: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    intensity: float = 1.0
    fixed_cost: float = 0.0
    cost_per_employee_year: float = 0.0

    def __post_init__(self) -> None:
        rules = self.field_rules()
        values = {name: getattr(self, name) for name in rules}
        checked = validate_table(self.table_model(), {"type": self.kind, **values}, self.path,
                                 rules)
        for name in rules:
            object.__setattr__(self, name, getattr(checked, name))
        object.__setattr__(self, "_checked", True)

    def __setattr__(self, name: str, value: Any) -> None:
        # a field changed after construction is checked like one given to the constructor
        if self.__dict__.get("_checked"):
            rule = self.field_rules().get(name)
            if rule is not None:
                value = check_value(rule, value, f"{self.path}.{name}")
        object.__setattr__(self, name, value)

    @property
    def path(self) -> str:
        """Key path of this intervention in error messages: ``interventions.<type>``."""
        return f"interventions.{self.kind or type(self).__name__}"

    @classmethod
    def field_rules(cls) -> dict[str, Rule]:
        """The rule of every field of this intervention type, in field order."""
        return _field_rules(cls)

    @classmethod
    def table_model(cls) -> type[BaseModel]:
        """The pydantic model of an ``[[interventions]]`` table of this type (generated
        from :meth:`field_rules` and this class's defaults; ``type`` is its tag)."""
        return _table_model(cls)

    # --- life cycle -------------------------------------------------------------

    def adoption(self, day: int) -> float:
        """Adoption in [0, 1] on intervention day ``day`` (0 before start or after end)."""
        elapsed = day - self.start
        if elapsed < 0 or (self.duration is not None and elapsed >= self.duration):
            return 0.0
        if self.ramp_days == 0:
            return 1.0
        x = min(elapsed / self.ramp_days, 1.0)
        return x * x * (3.0 - 2.0 * x)  # smoothstep: slow start, fast middle, slow finish

    def check_targets(self, structure: Structure, days: int | None = None,
                      path: str | None = None) -> None:
        """Raise ParameterError if a target department is not in ``structure`` or (given
        the horizon ``days``, i.e. ``run.days``) the intervention starts after the run."""
        path = path or self.path
        names = structure.department_names
        errors = [f"{path}.departments = {show_value(name)} is not allowed: expected one of "
                  + ", ".join(names) for name in self.departments if name not in names]
        if days is not None and self.start >= days:
            errors.append(f"{path}.start = {self.start} is not allowed: the run ends after "
                          f"run.days = {days} days, so expected a day from 0 to {days - 1}")
        if errors:
            raise ParameterError(errors)

    def initialise(self, model: InterventionTarget) -> None:
        """Resolve targets against the model's structure (validates department names and
        that the intervention starts within the horizon)."""
        self.check_targets(model.structure, model.p.days)
        names = model.structure.department_names
        dept = np.array([not self.departments or n in self.departments for n in names])
        level = np.array([not self.levels or lv in self.levels for lv in LEVELS])
        self._run_state = InterventionRun(target_mask=dept[:, None] & level[None, :])

    def targeted(self, model: InterventionTarget) -> np.ndarray:
        """Boolean mask over employee positions that this intervention targets (and filled).
        The targeted positions are found once a run: a position's department and level
        never change, only whether it is filled."""
        state = self.run_state
        if state.target_positions is None:
            state.target_positions = self.target_mask[model.department, model.level]
        return state.target_positions & model.active

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        """Change today's levers, scaled by adoption. Default: nothing."""

    def on_day(self, model: InterventionTarget, day: int, adoption: float) -> None:
        """Events of this day (training sessions, ties added...). Default: nothing."""

    def daily_cost(self, model: InterventionTarget, day: int, adoption: float) -> float:
        cost = self.fixed_cost if day == self.start else 0.0
        if adoption > 0 and self.cost_per_employee_year:
            cost += self.cost_per_employee_year * self.targeted(model).sum() / 365.0
        return cost

    def add_ties_with_adoption(self, model: InterventionTarget, ties_per_employee: float,
                               adoption: float) -> None:
        """Add cross-department ties from targeted employees as adoption grows, up to
        ``ties_per_employee x intensity`` per targeted employee at full adoption."""
        targeted = self.targeted(model)
        wanted = int(round(ties_per_employee * self.intensity * adoption * targeted.sum() / 2))
        done = self.run_state.ties_added
        if wanted > done:
            model.add_cross_ties(wanted - done, targeted)
            self.run_state.ties_added = wanted

    def raise_lever(self, levers: np.ndarray, amount: float) -> None:
        """Raise a (department x level) lever toward 1 by ``amount`` where targeted."""
        levers[self.target_mask] += amount * (1.0 - levers[self.target_mask])

    def to_dict(self) -> dict[str, Any]:
        spec = {"type": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            spec[f.name] = list(value) if isinstance(value, tuple) else value
        return spec


@dataclass
class LeadershipCommitment(Intervention):
    """Executives visibly commit to the intended experience: CX in the core values,
    regular communication, targets set. The signal cascades through managers."""

    kind: ClassVar[str] = "leadership_commitment"
    ramp_days: int = 90
    fixed_cost: float = 50_000.0
    cost_per_employee_year: float = 100.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        self.raise_lever(model.levers.commitment, adoption * self.intensity)


@dataclass
class CXTraining(Intervention):
    """Regular CX training: ``coverage`` of targeted employees get ``hours`` of training
    every ``refresh_days`` (sessions spread over the cycle). Costs ``cost_per_hour``
    plus the time spent (salary)."""

    kind: ClassVar[str] = "training"
    RULES: ClassVar[dict[str, Rule]] = {
        "coverage": Rule("float", 0, 1, unit="share",
                         description="Share of targeted employees trained each cycle."),
        "hours": Rule("float", 0, 200, low_open=True, unit="hours",
                      description="Hours of training per session."),
        "refresh_days": Rule("int", 1, 3650, unit="days",
                             description="Days between an employee's sessions."),
        "cost_per_hour": Rule("float", 0, 1e5, unit="currency per trainee hour",
                              description="Trainer and material cost per trainee hour "
                                          "(the trainee's salary is added)."),
    }
    ramp_days: int = 0
    coverage: float = 0.9
    hours: float = 8.0
    refresh_days: int = 90
    cost_per_hour: float = 40.0

    def sessions_today(self, model: InterventionTarget, day: int, adoption: float) -> np.ndarray:
        if adoption <= 0:
            return np.zeros(model.n_employees, dtype=bool)
        due = (day - self.start + model.employee_phase) % self.refresh_days == 0
        covered = model.coverage_draw < self.coverage * self.intensity * adoption
        return due & covered & self.targeted(model)

    def on_day(self, model: InterventionTarget, day: int, adoption: float) -> None:
        trained = self.sessions_today(model, day, adoption)
        model.train(trained, self.hours)
        self.run_state.trained_today = int(trained.sum())

    def daily_cost(self, model: InterventionTarget, day: int, adoption: float) -> float:
        hourly_salary = model.p.salary_per_employee / (220 * 8)
        hours = self.run_state.trained_today * self.hours
        return super().daily_cost(model, day, adoption) + hours * (self.cost_per_hour
                                                                   + hourly_salary)


@dataclass
class Empowerment(Intervention):
    """Grant decision authority: the authority granted to targeted employees closes
    ``intensity`` of its gap to full authority. With ``guidelines=True`` clear
    guidelines for using it come along (closing the same share of their gap)."""

    kind: ClassVar[str] = "empowerment"
    RULES: ClassVar[dict[str, Rule]] = {
        "guidelines": Rule("bool", description="Clear guidelines come with the authority."),
    }
    guidelines: bool = False
    cost_per_employee_year: float = 300.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        self.raise_lever(model.levers.authority, adoption * self.intensity)
        if self.guidelines:
            self.raise_lever(model.levers.guidelines, adoption * self.intensity)


@dataclass
class ClearGuidelines(Intervention):
    """Clear guidelines for how to use authority and handle common cases."""

    kind: ClassVar[str] = "guidelines"
    fixed_cost: float = 30_000.0
    cost_per_employee_year: float = 20.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        self.raise_lever(model.levers.guidelines, adoption * self.intensity)


@dataclass
class CrossFunctionalCollaboration(Intervention):
    """Break silos: ``added_ties`` new cross-department ties per targeted employee
    (added during the ramp), optional journey owners (handoffs keep context) and
    a CX council (pain points reach their causes)."""

    kind: ClassVar[str] = "collaboration"
    RULES: ClassVar[dict[str, Rule]] = {
        "added_ties": Rule("float", 0, 50, unit="ties per targeted employee",
                           description="New cross-department ties per targeted employee at "
                                       "full adoption."),
        "journey_owners": Rule("bool", description="Journey owners keep context at handoffs."),
        "cx_council": Rule("bool", description="A CX council routes pain points to causes."),
    }
    added_ties: float = 3.0
    journey_owners: bool = True
    cx_council: bool = True
    fixed_cost: float = 40_000.0
    cost_per_employee_year: float = 300.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        if self.journey_owners:
            model.levers.coordination += 0.5 * adoption * self.intensity * (
                1 - model.levers.coordination)
        if self.cx_council:
            model.levers.voc += 0.4 * adoption * self.intensity * (1 - model.levers.voc)

    def on_day(self, model: InterventionTarget, day: int, adoption: float) -> None:
        self.add_ties_with_adoption(model, self.added_ties, adoption)


@dataclass
class SharedMetrics(Intervention):
    """Shared CX metrics and incentives: every targeted department is measured on the
    customer's outcome, so ownership rises and pain points travel."""

    kind: ClassVar[str] = "shared_metrics"
    ramp_days: int = 90
    fixed_cost: float = 60_000.0
    cost_per_employee_year: float = 150.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        self.raise_lever(model.levers.shared_metrics, adoption * self.intensity)
        self.raise_lever(model.levers.ownership, 0.5 * adoption * self.intensity)


@dataclass
class IntegratedCRM(Intervention):
    """Integrated CRM and knowledge tools (``intensity``) with ``automation`` of
    routine contacts (raises the digital share)."""

    kind: ClassVar[str] = "crm"
    RULES: ClassVar[dict[str, Rule]] = {
        "automation": Rule("float", 0, 1, unit="share",
                           description="Share of the gap of the digital share to 1 closed by "
                                       "automating routine contacts."),
    }
    ramp_days: int = 120
    automation: float = 0.3
    fixed_cost: float = 200_000.0
    cost_per_employee_year: float = 600.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        levers = model.levers
        levers.crm += adoption * self.intensity * (1 - levers.crm)
        levers.digital_share += adoption * self.automation * (1 - levers.digital_share)


@dataclass
class Recognition(Intervention):
    """Recognition rounds every ``interval_days`` for ``coverage`` of targeted employees;
    each lifts engagement, and the lift fades (half-life
    ``culture.recognition_fade_days``) and shrinks with habituation."""

    kind: ClassVar[str] = "recognition"
    RULES: ClassVar[dict[str, Rule]] = {
        "interval_days": Rule("int", 1, 3650, unit="days",
                              description="Days between recognition rounds."),
        "coverage": Rule("float", 0, 1, unit="share",
                         description="Share of targeted employees recognised per round."),
        "boost": Rule("float", 0, 1, unit="engagement",
                      description="Engagement lift of one recognition (before fading)."),
        "cost_per_recognition": Rule("float", 0, 1e5, unit="currency",
                                     description="Cost of one recognition."),
    }
    ramp_days: int = 0
    interval_days: int = 30
    coverage: float = 0.5
    boost: float = 0.3
    cost_per_recognition: float = 50.0

    def on_day(self, model: InterventionTarget, day: int, adoption: float) -> None:
        self.run_state.recognised_today = 0
        if adoption <= 0:
            return
        due = (day - self.start + model.employee_phase) % self.interval_days == 0
        chosen = (due & (model.coverage_draw < self.coverage * adoption)
                  & self.targeted(model))
        model.recognise(chosen, self.boost * self.intensity)
        self.run_state.recognised_today = int(chosen.sum())

    def daily_cost(self, model: InterventionTarget, day: int, adoption: float) -> float:
        return (super().daily_cost(model, day, adoption)
                + self.cost_per_recognition * self.run_state.recognised_today)


@dataclass
class VoiceOfCustomerLoop(Intervention):
    """A formal voice-of-customer loop routing pain points to the departments that
    cause them."""

    kind: ClassVar[str] = "voc_loop"
    fixed_cost: float = 80_000.0
    cost_per_employee_year: float = 50.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        model.levers.voc += adoption * self.intensity * (1 - model.levers.voc)


@dataclass
class HireForCXValues(Intervention):
    """HR hires for CX values: new hires arrive more customer-centric and engaged."""

    kind: ClassVar[str] = "hiring"
    RULES: ClassVar[dict[str, Rule]] = {
        "extra_cost_per_hire": Rule("float", 0, 1e6, unit="currency per hire",
                                    description="Extra cost of screening a hire for CX "
                                                "values."),
    }
    ramp_days: int = 30
    extra_cost_per_hire: float = 1500.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        self.raise_lever(model.levers.hire_centricity, 0.6 * adoption * self.intensity)
        self.raise_lever(model.levers.hire_engagement, 0.3 * adoption * self.intensity)

    def daily_cost(self, model: InterventionTarget, day: int, adoption: float) -> float:
        hires = model.hired_today & self.targeted(model)
        return super().daily_cost(model, day, adoption) + self.extra_cost_per_hire * hires.sum()


@dataclass
class ManagerCoaching(Intervention):
    """Managers learn to coach: more managers amplify the leadership signal and
    support their team (a job resource)."""

    kind: ClassVar[str] = "coaching"
    ramp_days: int = 90
    levels: tuple[str, ...] = ("manager",)
    cost_per_employee_year: float = 2000.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        self.raise_lever(model.levers.coaching, adoption * self.intensity)


@dataclass
class AccountabilityPartnerships(Intervention):
    """Departments pair up to own journey outcomes together: cross ties between
    partners and more ownership of CX outside support."""

    kind: ClassVar[str] = "accountability"
    RULES: ClassVar[dict[str, Rule]] = {
        "ties_per_employee": Rule("float", 0, 50, unit="ties per targeted employee",
                                  description="New cross-department ties per targeted "
                                              "employee at full adoption."),
    }
    ties_per_employee: float = 1.0
    cost_per_employee_year: float = 100.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        self.raise_lever(model.levers.ownership, 0.6 * adoption * self.intensity)

    def on_day(self, model: InterventionTarget, day: int, adoption: float) -> None:
        self.add_ties_with_adoption(model, self.ties_per_employee, adoption)


@dataclass
class BudgetCut(Intervention):
    """Shock: budgets are cut. Training and tools lose effect by ``intensity``, staff
    handle fewer contacts without strain; saves ``savings_per_employee_year``."""

    kind: ClassVar[str] = "budget_cut"
    RULES: ClassVar[dict[str, Rule]] = {
        "savings_per_employee_year": Rule(
            "float", 0, 1e6, unit="currency per targeted employee per year",
            description="Saving per targeted employee per year at intensity 1."),
    }
    ramp_days: int = 0
    intensity: float = 0.3
    savings_per_employee_year: float = 3000.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        levers = model.levers
        cut = adoption * self.intensity
        levers.training_effect *= 1 - cut
        levers.crm *= 1 - 0.5 * cut
        levers.capacity *= 1 - 0.3 * cut

    def daily_cost(self, model: InterventionTarget, day: int, adoption: float) -> float:
        saving = self.savings_per_employee_year * self.intensity * self.targeted(model).sum()
        return super().daily_cost(model, day, adoption) - (saving / 365.0 if adoption else 0.0)


@dataclass
class Layoffs(Intervention):
    """Shock: ``intensity`` of targeted positions are eliminated on the start day.
    Costs ``severance_months`` of salary each. The salaries saved are not a negative cost
    here: they show in the head-count, so a comparison counts them once, in its staff cost
    difference."""

    kind: ClassVar[str] = "layoffs"
    RULES: ClassVar[dict[str, Rule]] = {
        "severance_months": Rule("float", 0, 60, unit="months of salary",
                                 description="Severance paid per laid-off employee."),
    }
    ramp_days: int = 0
    intensity: float = 0.1
    severance_months: float = 3.0

    def on_day(self, model: InterventionTarget, day: int, adoption: float) -> None:
        if day == self.start:
            self.run_state.laid_off = model.lay_off(self.targeted(model), self.intensity)

    def daily_cost(self, model: InterventionTarget, day: int, adoption: float) -> float:
        cost = super().daily_cost(model, day, adoption)
        if day == self.start:
            cost += self.run_state.laid_off * model.p.salary_per_employee * (
                self.severance_months / 12.0)
        return cost


@dataclass
class Reorganisation(Intervention):
    """Shock: a reorganisation that raises silos: ``intensity`` of the informal ties
    that cross from targeted departments to other departments are cut on the start
    day, and change fatigue weighs on engagement while it settles."""

    kind: ClassVar[str] = "reorganisation"
    ramp_days: int = 90
    intensity: float = 0.5
    fixed_cost: float = 100_000.0

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        model.levers.change_fatigue[self.target_mask] += model.p.resistance_dip * (1 - adoption)

    def on_day(self, model: InterventionTarget, day: int, adoption: float) -> None:
        if day == self.start:
            model.cut_cross_ties(self.intensity, self.target_mask[model.department, model.level])


@dataclass(frozen=True)
class ReferenceState:
    """A documented state of practice that :class:`GroupPractice` holds a group at (see
    ``docs/responsibility.md`` for the values and why).

    ``engagement``, ``skill``, ``empowerment`` and ``centricity`` are the employees' own
    state; ``practice`` is where the group's practice levers go (ownership of CX, shared
    metrics, guidelines, executives' commitment, managers' coaching); ``connected``:
    True adds cross-department ties from the group, False cuts the group's informal
    cross-department ties."""

    engagement: float
    skill: float
    empowerment: float
    centricity: float
    practice: float
    connected: bool


#: The reference states of :class:`GroupPractice`, by name.
REFERENCE_STATES: dict[str, ReferenceState] = {
    "frontier": ReferenceState(engagement=0.9, skill=0.9, empowerment=0.9, centricity=0.9,
                               practice=1.0, connected=True),
    "lagging": ReferenceState(engagement=0.1, skill=0.1, empowerment=0.0, centricity=0.1,
                              practice=0.0, connected=False),
}


@dataclass
class GroupPractice(Intervention):
    """Analysis device of the responsibility map: from ``start`` on, hold the targeted
    group (departments x levels) at a reference state of practice, ``frontier``
    (engaged, skilled, empowered, customer-centric, connected across silos) or
    ``lagging`` (the reverse: disengaged, unskilled, without authority or ownership,
    siloed). Each day, before customers are served, the group's engagement, skill,
    empowerment and customer-centricity close ``intensity x adoption`` of their gap to
    the state's values, its practice levers move the same share toward the state's, and
    on the start day the group gains ``organisation.ties_per_employee`` cross-department
    ties per employee (frontier) or loses that share of its informal cross-department
    ties (lagging). Not a programme with a cost: it has none."""

    kind: ClassVar[str] = "group_practice"
    RULES: ClassVar[dict[str, Rule]] = {
        "state": Rule("choice", choices=tuple(REFERENCE_STATES),
                      description="The reference state the group is held at."),
    }
    ramp_days: int = 0
    state: str = "frontier"

    @property
    def reference(self) -> ReferenceState:
        """The values this intervention holds its group at."""
        return REFERENCE_STATES[self.state]

    def target_cells(self) -> np.ndarray:
        """The targeted (department, level) cells' flat indices (found once a run)."""
        cells = self._run_state.target_cells
        if cells is None:
            cells = self._run_state.target_cells = np.flatnonzero(self.target_mask.ravel())
        return cells

    def apply(self, model: InterventionTarget, adoption: float) -> None:
        levers = model.levers
        move_cells((levers.ownership, levers.shared_metrics, levers.guidelines,
                    levers.commitment, levers.coaching, levers.authority,
                    levers.hire_engagement, levers.hire_centricity),
                   LEVER_TARGETS[self.state], self.target_cells(), adoption * self.intensity)

    def on_day(self, model: InterventionTarget, day: int, adoption: float) -> None:
        share, ref = adoption * self.intensity, self.reference
        targeted = self.targeted(model)
        who = np.flatnonzero(targeted)
        if share > 0 and who.size:
            # the reference model writes each of them to its agents
            model.engagement, model.skill, model.empowerment, model.centricity = (
                move_positions(*(np.asarray(getattr(model, name), dtype=float)
                                 for name in POSITION_STATE),
                               POSITION_TARGETS[self.state], who, share))
        if ref.connected:
            self.add_ties_with_adoption(model, model.p.ties_per_employee, adoption)
        elif day == self.start:
            model.cut_cross_ties(self.intensity,
                                 self.target_mask[model.department, model.level])


#: The employees' state a group practice holds its group at, and each reference state's
#: values of it and of the practice levers (in :meth:`GroupPractice.apply`'s order).
POSITION_STATE = ("engagement", "skill", "empowerment", "centricity")
POSITION_TARGETS = {name: np.array([getattr(state, field) for field in POSITION_STATE])
                    for name, state in REFERENCE_STATES.items()}
LEVER_TARGETS = {name: np.array([state.practice] * 5 + [state.empowerment, state.engagement,
                                                        state.centricity])
                 for name, state in REFERENCE_STATES.items()}


@jit
def move_cells(levers, values, cells, share):
    """Move each (department x level) lever of ``levers`` ``share`` of the way toward its
    value in ``values`` at the flat ``cells`` (in place; compiled)."""
    for lever, value in zip(levers, values):
        flat = lever.reshape(-1)
        for cell in cells:
            flat[cell] = flat[cell] + share * (value - flat[cell])


@jit
def move_positions(engagement, skill, empowerment, centricity, targets, who, share):
    """Copies of the positions' engagement, skill, empowerment and centricity with the
    positions ``who`` moved ``share`` of the way toward ``targets`` (one value each;
    compiled)."""
    moved = (engagement.copy(), skill.copy(), empowerment.copy(), centricity.copy())
    for k in range(4):
        array, target = moved[k], targets[k]
        for position in who:
            array[position] = array[position] + share * (target - array[position])
    return moved


def apply_interventions(model: InterventionTarget) -> float:
    """The daily intervention phase, shared by the engine and the reference model.

    Levers go back to the baseline; every intervention being adopted moves them by its
    adoption, with a temporary dip in engagement while a ramped change is adopted; then,
    with all of today's levers in place (so events see every lever, whatever the list
    order), each started intervention has its events and costs. Returns today's cost.
    """
    model.levers = model.baseline_levers()
    day = model.intervention_day
    adoptions = [iv.adoption(day) for iv in model.interventions]
    for iv, adoption in zip(model.interventions, adoptions):
        if adoption > 0:
            iv.apply(model, adoption)
            if iv.ramp_days:
                model.levers.change_fatigue[iv.target_mask] += dyn.change_dip(
                    model.p.resistance_dip, adoption)
    cost = 0.0
    for iv, adoption in zip(model.interventions, adoptions):
        if day >= iv.start:
            iv.on_day(model, day, adoption)
            cost += iv.daily_cost(model, day, adoption)
    return cost


INTERVENTIONS: dict[str, type[Intervention]] = {
    cls.kind: cls
    for cls in (LeadershipCommitment, CXTraining, Empowerment, ClearGuidelines,
                CrossFunctionalCollaboration, SharedMetrics, IntegratedCRM, Recognition,
                VoiceOfCustomerLoop, HireForCXValues, ManagerCoaching,
                AccountabilityPartnerships, BudgetCut, Layoffs, Reorganisation, GroupPractice)
}


def intervention_table_type() -> Any:
    """The type of one ``[[interventions]]`` table: the intervention types' models in a
    union discriminated by ``type``."""
    models = tuple(cls.table_model() for cls in INTERVENTIONS.values())
    return Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007


@functools.cache
def _table_adapter() -> TypeAdapter:
    return TypeAdapter(intervention_table_type())


def intervention_error_line(error: Any, loc: tuple, table: Any, where: str) -> str:
    """One line for a pydantic error at ``loc`` inside the ``[[interventions]]`` table
    ``table`` named ``where`` in messages (e.g. ``interventions[2]``)."""
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        kind = table.get("type")
        close = (difflib.get_close_matches(kind, list(INTERVENTIONS), n=1)
                 if isinstance(kind, str) else [])
        hint = f" (did you mean {close[0]}?)" if close else ""
        return (f"{where}.type = {show_value(kind)} is not allowed: expected one of "
                f"{', '.join(INTERVENTIONS)}{hint}")
    if not loc:
        return f"{where} = {show_value(table)} is not allowed: expected a table with a type key"
    kind = loc[0]
    return table_error_line(error, loc[1:], f"{where}.{kind}",
                            INTERVENTIONS[kind].field_rules(), table)


def from_dict(spec: Mapping[str, Any], path: str | None = None) -> Intervention:
    """Build an intervention from a scenario-file table with a ``type`` key.

    Every unknown field (with a did-you-mean) and bad value is reported at once. ``path``
    names the table in messages (e.g. ``interventions[2]``); by default
    ``interventions``."""
    where = path or "interventions"
    try:
        table = _table_adapter().validate_python(spec)
    except ValidationError as error:
        raise ParameterError([intervention_error_line(e, e["loc"], spec, where)
                              for e in error.errors()]) from None
    cls = INTERVENTIONS[table.type]
    return cls(**{name: getattr(table, name) for name in cls.field_rules()})


@functools.cache
def _field_rules(cls: type[Intervention]) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for klass in reversed(cls.__mro__):
        rules.update(klass.__dict__.get("RULES", {}))
    return {f.name: rules[f.name] for f in fields(cls)}


@functools.cache
def _table_model(cls: type[Intervention]) -> type[BaseModel]:
    defaults = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
    summary = " ".join((cls.__doc__ or "").split("\n\n")[0].split())
    return table_model(cls.__name__, cls.field_rules(), defaults, doc=summary,
                       type=(Literal[cls.kind], Field(description="The intervention type.")))


@dataclass
class Levers:
    """Today's levers: baseline parameters plus what active interventions add.

    Arrays of shape (departments, 3 levels) hold people-related levers; scalars
    hold organisation-wide systems.
    """

    commitment: np.ndarray
    coaching: np.ndarray
    authority: np.ndarray
    guidelines: np.ndarray
    ownership: np.ndarray
    shared_metrics: np.ndarray
    hire_centricity: np.ndarray
    hire_engagement: np.ndarray
    change_fatigue: np.ndarray
    crm: float
    voc: float
    coordination: float = 0.0
    digital_share: float = 0.3
    training_effect: float = 1.0
    capacity: float = 1.0

    @classmethod
    def baseline(cls, config: Config, structure: Structure) -> Levers:
        """The levers before any intervention: the baseline parameters of ``config``
        spread over the departments and levels of ``structure`` (support owns CX fully).
        The one rule both the engine and the reference model use."""
        nd = len(structure.departments)
        full = np.ones((nd, 3))
        ownership = full * config.cx_ownership
        ownership[structure.department_index("support")] = 1.0
        return cls(
            commitment=full * config.leadership_commitment,
            coaching=full * config.coaching_share,
            authority=org.authority_baseline(config.baseline_empowerment, nd),
            guidelines=full * config.guidelines_clarity,
            ownership=ownership,
            shared_metrics=full * config.shared_metrics,
            hire_centricity=full * config.hire_centricity,
            hire_engagement=full * config.hire_engagement,
            change_fatigue=np.zeros((nd, 3)),
            crm=config.crm_integration,
            voc=config.voc_loop,
            digital_share=config.digital_share,
        )
