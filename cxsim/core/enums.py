"""The model's categorical states, one enum each, shared by the engine and the reference.

Each is an :class:`enum.IntEnum`, so a member indexes numpy arrays and compares
equal to the integer stored in the engine's state arrays.
"""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    """An employee position's level in the hierarchy."""

    EXECUTIVE = 0
    MANAGER = 1
    FRONTLINE = 2

    @property
    def label(self) -> str:
        """Lower-case name as written in scenario files (``"frontline"``)."""
        return self.name.lower()


class CustomerStatus(IntEnum):
    """Where a customer row stands: a prospect not yet won, active, or churned."""

    PROSPECT = 0
    ACTIVE = 1
    CHURNED = 2

    @property
    def label(self) -> str:
        return self.name.lower()


class ContactOutcome(IntEnum):
    """How a customer's latest problem ended (``NO_PROBLEM`` until they have one)."""

    NO_PROBLEM = 0
    RESOLVED_FIRST = 1
    RESOLVED_REPEAT = 2
    UNRESOLVED = 3

    @property
    def label(self) -> str:
        return self.name.lower()


#: Level names in index order, as written in scenario files.
LEVEL_NAMES: tuple[str, ...] = tuple(level.label for level in Level)
#: Outcome names in index order (summary keys ``churned_after_<name>``).
OUTCOME_NAMES: tuple[str, ...] = tuple(outcome.label for outcome in ContactOutcome)
