"""The organisation's structure: departments, the journey's touchpoints, customer segments.

These are tables rather than scalar parameters. The defaults describe a mid-sized
B2C service company; a scenario may replace any table (see ``docs/scenarios.md``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError, create_model

from cxsim.core.validation import (
    ParameterError,
    Rule,
    optional_part,
    show_value,
    suggest,
    table_error_line,
    table_model,
    validate_table,
)

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


#: What each field of a structure row accepts: the one definition behind validation,
#: ``cxsim schema`` and docs/scenario-reference.md.
ROW_RULES: dict[str, dict[str, Rule]] = {
    "departments": {
        "name": Rule("str", description="Department name (unique)."),
        "share": Rule("float", 0, 1, low_open=True, unit="share of the workforce",
                      description="Share of the workforce; shares are normalised to sum "
                                  "to 1."),
    },
    "touchpoints": {
        "name": Rule("str", description="Touchpoint name (unique)."),
        "owner": Rule("str", description="Department that owns and serves it."),
        "stage": Rule("choice", choices=STAGES, description="When customers meet it."),
        "weight": Rule("float", 0, 1e6, unit="relative frequency",
                       description="Relative frequency among the touchpoints of its stage."),
        "defect_multiplier": Rule("float", 0, 20, unit="factor",
                                  description="Multiplies service.defect_rate here; 0 = never "
                                              "reveals problems."),
        "digital": Rule("choice", choices=("never", "optional", "always"),
                        description="never (people), optional (digital with probability "
                                    "customers.digital_share), always (self-service)."),
        "effort": Rule("float", 0, 20, unit="support calls",
                       description="Workload of one assisted contact relative to a support "
                                   "call."),
    },
    "segments": {
        "name": Rule("str", description="Segment name (unique)."),
        "share": Rule("float", 0, 1, low_open=True, unit="share of customers",
                      description="Share of customers; normalised to sum to 1."),
        "value_multiplier": Rule("float", 0, 100, unit="factor",
                                 description="Relative annual value (rescaled so the "
                                             "share-weighted mean is 1)."),
        "expectation": Rule("float", 0, 1, unit="quality",
                            description="Mean expected experience quality."),
    },
}
#: Row types of the structure tables.
ROW_TYPES: dict[str, type] = {"departments": Department, "touchpoints": Touchpoint,
                              "segments": Segment}
#: Most rows a structure table may have.
MAX_ROWS = 100


def _defaults(row_type: type) -> dict[str, Any]:
    return {f.name: f.default for f in fields(row_type) if f.default is not dataclasses.MISSING}


@functools.cache
def row_model(table: str) -> type[BaseModel]:
    """The pydantic model of one row of the structure table ``table``."""
    row_type = ROW_TYPES[table]
    return table_model(f"{row_type.__name__}Row", ROW_RULES[table], _defaults(row_type),
                       doc=" ".join((row_type.__doc__ or "").split("\n\n")[0].split()))


@functools.cache
def structure_model() -> type[BaseModel]:
    """The pydantic model of a scenario file's ``[structure]`` table."""
    tables = {table: optional_part(Annotated[list[row_model(table)],
                                             Field(min_length=1, max_length=MAX_ROWS)])
              for table in ROW_TYPES}
    return create_model("StructureTables", __config__={"extra": "forbid"},
                        __doc__="Tables that replace the default departments, journey and "
                                "segments.", **tables)


def structure_error_line(error: Any, loc: tuple, spec: Any) -> str:
    """One line for a pydantic error at ``loc`` inside the ``[structure]`` table ``spec``."""
    if not loc:
        return (f"structure = {show_value(spec)} is not allowed: expected a table with "
                "departments, touchpoints or segments")
    table = loc[0]
    if error["type"] == "extra_forbidden" and len(loc) == 1:
        return (f"unknown key {show_value(f'structure.{table}')}: "
                f"{suggest(str(table), list(ROW_TYPES))}")
    rows = spec[table]
    if len(loc) == 1:
        return (f"structure.{table} = {show_value(rows)} is not allowed: expected a list of "
                f"1 to {MAX_ROWS} tables ([[structure.{table}]])")
    row = rows[loc[1]]
    path = _row_path(table, loc[1] + 1, row)
    if len(loc) == 2:
        return f"{path} = {show_value(row)} is not allowed: expected a table"
    return table_error_line(error, loc[2:], path, ROW_RULES[table], row)


@dataclass(frozen=True)
class Structure:
    """Departments, touchpoints and segments, validated together."""

    departments: tuple[Department, ...] = DEFAULT_DEPARTMENTS
    touchpoints: tuple[Touchpoint, ...] = DEFAULT_TOUCHPOINTS
    segments: tuple[Segment, ...] = DEFAULT_SEGMENTS

    def __post_init__(self) -> None:
        errors: list[str] = []
        for table, row_type in ROW_TYPES.items():
            rows = getattr(self, table)
            if (not isinstance(rows, Sequence) or isinstance(rows, str)
                    or not all(isinstance(r, row_type) for r in rows)):
                errors.append(f"structure.{table} = {show_value(rows)} is not allowed: "
                              f"expected a sequence of {row_type.__name__}")
                continue
            checked = []
            for index, row in enumerate(rows, 1):
                values = {f.name: getattr(row, f.name) for f in fields(row)}
                try:
                    valid = validate_table(row_model(table), values,
                                           _row_path(table, index, values), ROW_RULES[table])
                    checked.append(row_type(**dict(valid)))
                except ParameterError as error:
                    errors += error.errors
                    checked.append(row)
            object.__setattr__(self, table, tuple(checked))
        if not errors:
            errors = self._cross_checks()
        if errors:
            raise ParameterError(errors)

    def _cross_checks(self) -> list[str]:
        """Rules across rows and tables (names unique, owners exist, every stage)."""
        errors: list[str] = []

        def check(ok: bool, field_name: str, value: Any, allowed: str) -> None:
            if not ok:
                errors.append(f"structure.{field_name} = {show_value(value, 200)} is not "
                              f"allowed: expected {allowed}")

        dept_names = [d.name for d in self.departments]
        for table, rows in (("departments", self.departments),
                            ("touchpoints", self.touchpoints), ("segments", self.segments)):
            row_names = [r.name for r in rows]
            check(len(set(row_names)) == len(row_names), table, row_names, "unique names")
            check(0 < len(rows) <= MAX_ROWS, table, f"{len(rows)} rows",
                  f"from 1 to {MAX_ROWS} rows")
        check("executive" in dept_names, "departments", dept_names,
              "a department named 'executive' (it holds the executives)")
        check("support" in dept_names, "departments", dept_names,
              "a department named 'support'")
        for t in self.touchpoints:
            check(t.owner in dept_names, f"touchpoints.{t.name}.owner", t.owner,
                  "one of " + ", ".join(dept_names))
        stages = [t.stage for t in self.touchpoints]
        for stage in STAGES:
            check(stage in stages, "touchpoints", stages, f"at least one '{stage}' touchpoint")
        check(sum(t.weight for t in self.touchpoints if t.stage == "routine") > 0,
              "touchpoints", "routine weights", "routine weights summing to more than 0")
        return errors

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
    def from_dict(cls, spec: Any) -> Structure:
        """Build from scenario-file tables; missing tables keep their defaults.

        Every bad table, row and field is reported at once (one line each)."""
        try:
            tables = structure_model().model_validate(spec)
        except ValidationError as error:
            raise ParameterError([structure_error_line(e, e["loc"], spec)
                                  for e in error.errors()]) from None
        return cls(**{table: tuple(ROW_TYPES[table](**dict(row)) for row in rows)
                      for table, rows in tables if rows is not None})

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        from dataclasses import asdict

        return {
            "departments": [asdict(d) for d in self.departments],
            "touchpoints": [asdict(t) for t in self.touchpoints],
            "segments": [asdict(s) for s in self.segments],
        }


def _row_path(table: str, index: int, row: Any) -> str:
    """Key path of a row: by its name when it has a usable one, else by position (from 1)."""
    name = row.get("name") if isinstance(row, Mapping) else None
    if isinstance(name, str) and 0 < len(name) <= 100 and name.isprintable():
        return f"structure.{table}.{name}"
    return f"structure.{table}[{index}]"
