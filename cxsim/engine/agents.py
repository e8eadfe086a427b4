"""Mesa agents: employees and customers.

Their state lives in numpy arrays owned by :class:`cxsim.engine.model.CXModel` (one row
per position or customer); an agent object knows its row and reads and writes it
through the properties below. The model's daily phases update whole arrays at
once, so nothing here is called in the hot path. See ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from cxsim.engine.metrics import CONTACT_OUTCOMES

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel

LEVEL_NAMES = ("executive", "manager", "frontline")
CUSTOMER_STATES = ("prospect", "active", "churned")


def _row_value(array_name: str, doc: str, kind: type = float) -> property:
    def get(self):
        return kind(getattr(self.model, array_name)[self.row])

    def set_(self, value):
        getattr(self.model, array_name)[self.row] = value

    return property(get, set_, doc=doc)


class Employee(mesa.Agent):
    """The holder of one employee position (row ``row`` of the model's arrays).

    When an employee leaves, this agent is removed; the hire who fills the
    position later is a new ``Employee`` with the same ``row``.
    """

    model: CXModel

    def __init__(self, model: CXModel, row: int):
        super().__init__(model)
        self.row = row

    engagement = _row_value("engagement", "Engagement in [0, 1].")
    skill = _row_value("skill", "CX skill in [0, 1] (training).")
    empowerment = _row_value("empowerment", "Decision authority in [0, 1].")
    customer_centricity = _row_value("centricity", "Ownership of CX, belief in the vision [0, 1].")
    strain = _row_value("strain", "Strain (toward burnout) in [0, 1].")
    tenure = _row_value("tenure", "Days in the position.", int)
    training_hours = _row_value("training_hours", "Hours of CX training received.")

    @property
    def department(self) -> str:
        return self.model.structure.department_names[self.model.department[self.row]]

    @property
    def level(self) -> str:
        return LEVEL_NAMES[self.model.level[self.row]]

    @property
    def manager(self) -> Employee | None:
        """The agent this employee reports to (None for the chief executive or a vacancy)."""
        boss = int(self.model.boss[self.row])
        return None if boss == self.row else self.model.employee_at(boss)

    @property
    def neighbours(self) -> list[Employee]:
        """Filled positions tied to this one in the informal network."""
        return [a for r in self.model.network.neighbors(self.row)
                if (a := self.model.employee_at(r)) is not None]

    @property
    def engaged(self) -> bool:
        return self.engagement >= self.model.p.engaged_threshold

    def __repr__(self) -> str:
        return (f"Employee(row={self.row}, {self.department}/{self.level}, "
                f"engagement={self.engagement:.2f}, skill={self.skill:.2f}, "
                f"strain={self.strain:.2f})")


class Customer(mesa.Agent):
    """A view of one customer (row ``row`` of the model's customer arrays).

    Customers are many, so the model does not create an agent per customer;
    :meth:`cxsim.engine.model.CXModel.customer` creates one on demand for inspection.
    """

    model: CXModel

    def __init__(self, model: CXModel, row: int):
        super().__init__(model)
        self.row = row

    satisfaction = _row_value("c_satisfaction", "Satisfaction in [0, 1].")
    loyalty = _row_value("c_loyalty", "Loyalty in [0, 1].")
    expectation = _row_value("c_expectation", "Expected experience quality in [0, 1].")

    @property
    def state(self) -> str:
        return CUSTOMER_STATES[self.model.c_status[self.row]]

    @property
    def segment(self) -> str:
        return self.model.structure.segments[self.model.c_segment[self.row]].name

    @property
    def tenure(self) -> int:
        """Days since the customer's first purchase (0 for prospects)."""
        if self.model.c_status[self.row] == 0:
            return 0
        return int(self.model.day - self.model.c_start_day[self.row])

    @property
    def spend_per_year(self) -> float:
        return float(self.model.c_spend_rate[self.row] * 365.0)

    @property
    def has_open_problem(self) -> bool:
        return bool(self.model.c_problem_open[self.row])

    @property
    def last_contact_outcome(self) -> str | None:
        """Outcome of the customer's latest contact (one of
        :data:`cxsim.engine.metrics.CONTACT_OUTCOMES`: ``no_problem``, ``resolved_first``,
        ``resolved_repeat``, ``open``, ``unresolved``), None before their first contact."""
        code = int(self.model.c_last_contact_outcome[self.row])
        return CONTACT_OUTCOMES[code] if code >= 0 else None

    def __repr__(self) -> str:
        return (f"Customer(row={self.row}, {self.state}, {self.segment}, "
                f"satisfaction={self.satisfaction:.2f}, loyalty={self.loyalty:.2f}, "
                f"last contact {self.last_contact_outcome})")
