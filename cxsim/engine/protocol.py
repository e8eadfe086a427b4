"""The interface a model offers to interventions and to the Recorder.

Interventions (:mod:`cxsim.engine.interventions`) and the metrics
(:class:`cxsim.engine.metrics.Recorder`) read and change a model only through the
members declared here, so any model that has them can run the same interventions and
record the same metrics: the array engine :class:`cxsim.engine.model.CXModel` and the
per-agent reference :class:`cxsim.reference.ReferenceModel` both satisfy
:class:`ModelInterface` (``tests/test_reference.py`` checks it).

Arrays "by position" have one entry per employee position (row), vacant or not; a
model whose state lives in agents (the reference) assembles them on each access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from cxsim.core.parameters import Config
from cxsim.core.structure import Structure

if TYPE_CHECKING:
    from cxsim.engine.interventions import Intervention, Levers


@runtime_checkable
class InterventionTarget(Protocol):
    """What interventions use of a model: its inputs, today's levers, the positions
    they target, and the events they cause."""

    p: Config  #: the run's parameters
    structure: Structure  #: departments, touchpoints, segments
    interventions: list[Intervention]  #: this run's interventions, initialised
    levers: Levers  #: today's levers (baseline plus what interventions add)
    day: int  #: days simulated so far (0 before the first step)
    burn_in: int  #: days of warm-up before the intervention period
    horizon: int  #: burn_in + days: the day the run ends
    n_employees: int  #: number of positions
    department: np.ndarray  #: department index by position
    level: np.ndarray  #: Level by position
    coverage_draw: np.ndarray  #: fixed uniform draw by position (who a programme covers)
    employee_phase: np.ndarray  #: fixed day-in-cycle by position (when sessions fall)

    @property
    def intervention_day(self) -> int:
        """Day counted from the end of the warm-up (negative during the warm-up)."""

    @property
    def active(self) -> np.ndarray:
        """Filled positions (boolean by position)."""

    @property
    def hired_today(self) -> np.ndarray:
        """Positions whose holder is new today (boolean by position)."""

    def baseline_levers(self) -> Levers:
        """The levers before interventions (:meth:`Levers.baseline` of the inputs)."""

    def train(self, who: np.ndarray, hours: float) -> None:
        """Give ``hours`` of CX training to the filled positions in the mask ``who``."""

    def recognise(self, who: np.ndarray, boost: float) -> None:
        """Recognise the filled positions in the mask ``who``."""

    def add_cross_ties(self, count: int, among: np.ndarray) -> None:
        """Try ``count`` new cross-department ties from positions in ``among``."""

    def cut_cross_ties(self, share: float, among: np.ndarray) -> None:
        """Cut a ``share`` of the informal cross-department ties touching ``among``."""

    def lay_off(self, among: np.ndarray, share: float) -> int:
        """Eliminate a ``share`` of the filled positions in ``among``; how many."""


@runtime_checkable
class MeasuredModel(Protocol):
    """What the Recorder reads of a model at the end of a day."""

    p: Config
    day: int
    burn_in: int
    horizon: int
    n_departments: int
    n_touchpoints: int
    department: np.ndarray  #: department index by position
    team: np.ndarray  #: team index by position
    team_leaders: np.ndarray  #: position of each team's leader
    tp_owner: np.ndarray  #: owning department by touchpoint
    tp_defect_multiplier: np.ndarray  #: defect multiplier by touchpoint
    defect_rate: np.ndarray  #: today's defect rate by touchpoint
    today: dict[str, Any]  #: today's counters (see metrics.new_day_counters)
    active_customers: int
    promoters: int  #: active customers who are promoters
    detractors: int  #: active customers who are detractors
    revenue_rate: float  #: revenue per day of the active customers
    silo_effective: float  #: effective silo strength (head-count weighted)
    network_ties: int

    @property
    def active(self) -> np.ndarray:
        """Filled positions (boolean by position)."""

    @property
    def engagement(self) -> np.ndarray:
        """Engagement by position."""

    @property
    def skill(self) -> np.ndarray:
        """CX skill by position."""

    @property
    def empowerment(self) -> np.ndarray:
        """Empowerment by position."""

    @property
    def centricity(self) -> np.ndarray:
        """Customer-centricity by position."""

    @property
    def strain(self) -> np.ndarray:
        """Strain by position."""

    @property
    def load(self) -> np.ndarray:
        """Today's workload by position."""

    @property
    def last_trained(self) -> np.ndarray:
        """Day of the latest training by position."""


@runtime_checkable
class ModelInterface(InterventionTarget, MeasuredModel, Protocol):
    """Everything interventions and the Recorder use: what a model must offer to run
    cxsim's interventions and be recorded by its metrics."""


def protocol_members(protocol: type) -> set[str]:
    """The names a protocol declares (attributes, properties and methods), for checks."""
    names: set[str] = set()
    for klass in protocol.__mro__:
        if klass in (Protocol, object) or not getattr(klass, "_is_protocol", False):
            continue
        names |= set(getattr(klass, "__annotations__", {}))
        names |= {name for name, value in vars(klass).items()
                  if not name.startswith("_") and (callable(value)
                                                   or isinstance(value, property))}
    return names


__all__ = ["InterventionTarget", "MeasuredModel", "ModelInterface", "protocol_members"]
