"""The organisation's structure: departments, the journey's touchpoints, customer segments.

These are tables rather than scalar parameters. The defaults describe a mid-sized
B2C service company; a scenario may replace any table (see ``docs/scenarios.md``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cxsim.core.parameters import ParameterError

#: Journey stages a touchpoint can belong to.
STAGES = ("acquisition", "onboarding", "routine", "support", "renewal")


@dataclass(frozen=True)
class Department:
    """A department: its name and its share of the workforce."""

    name: str
    share: float


@dataclass(frozen=True)
class Touchpoint:
    """One touchpoint of the customer journey.

    ``stage`` says when customers meet it: ``acquisition`` (once, when a prospect
    buys), ``onboarding`` (routine contacts while new), ``routine`` (drawn with
    ``weight`` among routine touchpoints), ``support`` (where problems go when CX
    is left to support) and ``renewal`` (at the end of a contract).
    ``defect_multiplier`` scales the base defect rate at this touchpoint
    (0 = never reveals problems); ``digital`` is ``"never"``, ``"optional"``
    (served by the digital channel with probability ``digital_share``) or
    ``"always"`` (a self-service channel, owned by its department, usually IT).
    ``effort`` is the workload of one assisted contact relative to a support call
    (a product-use contact is mostly the product's doing, not a person's time).
    """

    name: str
    owner: str
    stage: str
    weight: float = 0.0
    defect_multiplier: float = 0.0
    digital: str = "never"
    effort: float = 1.0


@dataclass(frozen=True)
class Segment:
    """A customer segment: share of customers, value multiplier, expectation level."""

    name: str
    share: float
    value_multiplier: float
    expectation: float


DEFAULT_DEPARTMENTS: tuple[Department, ...] = (
    Department("executive", 0.02),
    Department("marketing", 0.08),
    Department("sales", 0.15),
    Department("product", 0.15),
    Department("operations", 0.22),
    Department("support", 0.20),
    Department("it", 0.10),
    Department("hr", 0.08),
)

DEFAULT_TOUCHPOINTS: tuple[Touchpoint, ...] = (
    Touchpoint("awareness", "marketing", "acquisition"),
    Touchpoint("purchase", "sales", "acquisition"),
    Touchpoint("onboarding", "operations", "onboarding", 1.0, 1.0, "never", 0.6),
    Touchpoint("product_use", "product", "routine", 0.30, 1.5, "optional", 0.3),
    Touchpoint("delivery", "operations", "routine", 0.20, 1.0, "never", 0.4),
    Touchpoint("billing", "operations", "routine", 0.15, 0.7, "optional", 0.5),
    Touchpoint("self_service", "it", "routine", 0.15, 0.5, "always"),
    Touchpoint("support", "support", "support", 0.0, 0.0),
    Touchpoint("renewal", "sales", "renewal"),
)

DEFAULT_SEGMENTS: tuple[Segment, ...] = (
    Segment("standard", 0.6, 0.8, 0.55),
    Segment("premium", 0.25, 1.4, 0.65),
    Segment("price_sensitive", 0.15, 0.6, 0.50),
)


@dataclass(frozen=True)
class Structure:
    """Departments, touchpoints and segments, validated together."""

    departments: tuple[Department, ...] = DEFAULT_DEPARTMENTS
    touchpoints: tuple[Touchpoint, ...] = DEFAULT_TOUCHPOINTS
    segments: tuple[Segment, ...] = DEFAULT_SEGMENTS

    def __post_init__(self) -> None:
        dept_names = [d.name for d in self.departments]
        _check(len(set(dept_names)) == len(dept_names), "departments", dept_names,
               "unique department names")
        _check("executive" in dept_names, "departments", dept_names,
               "a department named 'executive' (it holds the executives)")
        _check("support" in dept_names, "departments", dept_names,
               "a department named 'support'")
        for table, rows in (("touchpoints", self.touchpoints), ("segments", self.segments)):
            row_names = [r.name for r in rows]
            _check(len(set(row_names)) == len(row_names), table, row_names, "unique names")
        for d in self.departments:
            _check_number(d.share, f"departments.{d.name}.share", 0, 1, "a share in (0, 1]",
                          low_open=True)
        for t in self.touchpoints:
            label = f"touchpoints.{t.name}"
            _check(t.owner in dept_names, f"{label}.owner", t.owner,
                   "one of " + ", ".join(dept_names))
            _check(t.stage in STAGES, f"{label}.stage", t.stage, "one of " + ", ".join(STAGES))
            _check_number(t.weight, f"{label}.weight", 0, None, "a weight >= 0")
            _check_number(t.defect_multiplier, f"{label}.defect_multiplier", 0, None,
                          "a multiplier >= 0")
            _check_number(t.effort, f"{label}.effort", 0, None, "an effort >= 0")
            _check(t.digital in ("never", "optional", "always"), f"{label}.digital",
                   t.digital, "never, optional or always")
        stages = [t.stage for t in self.touchpoints]
        for stage in STAGES:
            _check(stage in stages, "touchpoints", stages, f"at least one '{stage}' touchpoint")
        _check(sum(t.weight for t in self.touchpoints if t.stage == "routine") > 0,
               "touchpoints", "routine weights", "routine weights summing to more than 0")
        for seg in self.segments:
            label = f"segments.{seg.name}"
            _check_number(seg.share, f"{label}.share", 0, 1, "a share in (0, 1]", low_open=True)
            _check_number(seg.value_multiplier, f"{label}.value_multiplier", 0, None,
                          "a multiplier >= 0")
            _check_number(seg.expectation, f"{label}.expectation", 0, 1, "a level from 0 to 1")
        _check(len(self.segments) > 0, "segments", [], "at least one segment")

    @property
    def department_names(self) -> list[str]:
        return [d.name for d in self.departments]

    @property
    def touchpoint_names(self) -> list[str]:
        return [t.name for t in self.touchpoints]

    def department_index(self, name: str) -> int:
        return self.department_names.index(name)

    # --- lookups both implementations of the model use --------------------------

    @property
    def touchpoint_owners(self) -> list[int]:
        """Index of the owning department of each touchpoint."""
        return [self.department_index(t.owner) for t in self.touchpoints]

    @property
    def digital_department(self) -> int:
        """The department that runs the digital channel: the owner of the first
        self-service (``digital = "always"``) touchpoint, else support."""
        owners = [t.owner for t in self.touchpoints if t.digital == "always"]
        return self.department_index(owners[0] if owners else "support")

    def stage_touchpoints(self, stage: str) -> list[int]:
        """Indices of the touchpoints of a journey stage, in journey order."""
        return [i for i, t in enumerate(self.touchpoints) if t.stage == stage]

    def stage_weights(self, stage: str) -> list[float]:
        """Probabilities of drawing each touchpoint of ``stage`` (weights normalised;
        equal if all weights are 0)."""
        weights = [max(self.touchpoints[i].weight, 0.0) for i in self.stage_touchpoints(stage)]
        total = sum(weights)
        return [w / total for w in weights] if total > 0 else [1.0 / len(weights)] * len(weights)

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Structure:
        """Build from scenario-file tables; missing tables keep their defaults."""
        allowed = {"departments", "touchpoints", "segments"}
        for key in spec:
            _check(key in allowed, "structure", key, "departments, touchpoints or segments")
        kwargs: dict[str, Any] = {}
        for key, row_type in (("departments", Department), ("touchpoints", Touchpoint),
                              ("segments", Segment)):
            if key in spec:
                kwargs[key] = tuple(_row(row_type, key, row) for row in _rows(key, spec[key]))
        return cls(**kwargs)

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        from dataclasses import asdict

        return {
            "departments": [asdict(d) for d in self.departments],
            "touchpoints": [asdict(t) for t in self.touchpoints],
            "segments": [asdict(s) for s in self.segments],
        }


def _rows(key: str, rows: Any) -> Sequence[Mapping[str, Any]]:
    _check(isinstance(rows, Sequence) and not isinstance(rows, str)
           and all(isinstance(r, Mapping) for r in rows), key, rows, "a list of tables")
    return rows


def _row(row_type: type, key: str, row: Mapping[str, Any]) -> Any:
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(row_type)}
    label = f"{key}.{row.get('name', '?')}"
    for name in row:
        _check(name in fields, label, name, "fields " + ", ".join(fields))
    try:
        return row_type(**row)
    except TypeError as error:
        raise ParameterError(f"{label}: {error} (fields are {', '.join(fields)})") from None


def _check_number(value: Any, field_name: str, low: float, high: float | None, allowed: str,
                  low_open: bool = False) -> None:
    """Check a finite number within [low, high] (or (low, high] when ``low_open``)."""
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
          and (value > low if low_open else value >= low) and (high is None or value <= high))
    _check(ok, field_name, value, allowed)


def _check(ok: bool, field_name: str, value: Any, allowed: str) -> None:
    if not ok:
        raise ParameterError(f"{field_name} = {value!r} is not allowed: expected {allowed}")
