"""The JSON Schema of scenario files and their field reference, from the validator's rules.

Both are generated from the same declarations the validator checks against:
:data:`cxsim.core.parameters.PARAMETERS` (parameter sections), the ``RULES`` of every
intervention class (``[[interventions]]``, one schema per ``type``: a union
discriminated by its ``type``), :data:`cxsim.core.structure.ROW_RULES` (``[structure]``)
and :data:`cxsim.experiments.scenarios.TOP_LEVEL_RULES`. ``cxsim schema`` prints the
JSON Schema (for editor completion, e.g. with Even Better TOML or taplo);
``cxsim schema --markdown`` prints ``docs/scenario-reference.md``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from cxsim.core.parameters import PARAMETERS, SECTIONS
from cxsim.core.structure import MAX_ROWS, ROW_RULES, ROW_TYPES, required_fields
from cxsim.core.validation import Rule
from cxsim.engine.interventions import INTERVENTIONS, Intervention
from cxsim.experiments.scenarios import (
    MAX_EXTENDS_DEPTH,
    MAX_FILE_BYTES,
    MAX_INTERVENTIONS,
    TOP_LEVEL_RULES,
)


def _default(cls: type, name: str) -> Any:
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is dataclasses.MISSING:
                return dataclasses.MISSING
            return list(f.default) if isinstance(f.default, tuple) else f.default
    raise KeyError(name)


def _summary(cls: type) -> str:
    return " ".join((cls.__doc__ or "").split("\n\n")[0].split())


def intervention_schema(cls: type[Intervention]) -> dict[str, Any]:
    """JSON Schema of one ``[[interventions]]`` table of type ``cls.kind``."""
    properties: dict[str, Any] = {"type": {"const": cls.kind}}
    for name, rule in cls.field_rules().items():
        schema = rule.json_schema()
        default = _default(cls, name)
        if default is not None and default is not dataclasses.MISSING:
            schema["default"] = default
        properties[name] = schema
    return {"type": "object", "title": cls.kind, "description": _summary(cls),
            "properties": properties, "required": ["type"], "additionalProperties": False}


def _row_schema(table: str) -> dict[str, Any]:
    properties = {}
    for name, rule in ROW_RULES[table].items():
        schema = rule.json_schema()
        default = _default(ROW_TYPES[table], name)
        if default is not dataclasses.MISSING:
            schema["default"] = default
        properties[name] = schema
    return {"type": "array", "minItems": 1, "maxItems": MAX_ROWS,
            "items": {"type": "object", "properties": properties,
                      "required": required_fields(table), "additionalProperties": False}}


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    properties: dict[str, Any] = {k: r.json_schema() for k, r in TOP_LEVEL_RULES.items()}
    for section in SECTIONS:
        properties[section] = {
            "type": "object", "additionalProperties": False,
            "properties": {p.name: p.json_schema() for p in PARAMETERS if p.section == section},
        }
    properties["structure"] = {
        "type": "object", "additionalProperties": False,
        "description": "Tables that replace the default departments, journey and segments.",
        "properties": {table: _row_schema(table) for table in ROW_RULES},
    }
    kinds = [intervention_schema(cls) for cls in INTERVENTIONS.values()]
    properties["interventions"] = {
        "type": "array", "maxItems": MAX_INTERVENTIONS,
        "items": {"type": "object", "required": ["type"],
                  "properties": {"type": {"enum": list(INTERVENTIONS)}},
                  "oneOf": kinds},
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://cxsim.invalid/scenario.schema.json",
            "title": "cxsim scenario file", "type": "object",
            "properties": properties, "additionalProperties": False}


def scenario_json_schema_text() -> str:
    """The JSON Schema as printed by ``cxsim schema``."""
    return json.dumps(scenario_json_schema(), indent=2) + "\n"


def _cell(value: Any) -> str:
    if value is dataclasses.MISSING:
        return "required"
    if value is None:
        return "none (leave out)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list):
        return "`[" + ", ".join(f'"{v}"' for v in value) + "]`" if value else "`[]` (all)"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def _rule_rows(cls: type, rules: dict[str, Rule]) -> list[str]:
    rows = ["| field | default | allowed | meaning |", "|---|---|---|---|"]
    for name, rule in rules.items():
        rows.append(f"| `{name}` | {_cell(_default(cls, name))} | {rule.allowed()} "
                    f"| {rule.description} |")
    return rows


def scenario_reference_markdown() -> str:
    """The field reference of scenario files (docs/scenario-reference.md)."""
    lines = [
        "# Scenario file reference",
        "",
        "Generated from the validator's definitions by `cxsim schema --markdown`; do not "
        "edit by hand. `cxsim schema` prints the same definitions as a JSON Schema. How to "
        "write a scenario, with examples, is in [scenarios.md](scenarios.md); what each "
        "intervention does in the model is in [interventions.md](interventions.md).",
        "",
        "Numbers: `true` and `false` are not numbers; an integer field accepts a whole "
        "number written as `10.0`; `nan` and `inf` are refused everywhere.",
        "",
        "## Top-level keys",
        "",
        "| key | allowed | meaning |",
        "|---|---|---|",
    ]
    for key, rule in TOP_LEVEL_RULES.items():
        lines.append(f"| `{key}` | {rule.allowed()} | {rule.description} |")
    lines += [
        f"| `[[interventions]]` | at most {MAX_INTERVENTIONS} tables | the levers pulled, "
        "below |",
        "| `[structure]` | tables `departments`, `touchpoints`, `segments` | replaces the "
        "default structure, below |",
        "| `[run]`, `[organisation]`, ... | tables of parameters | "
        "[parameters.md](parameters.md) |",
        "",
        f"Limits: a file has at most {MAX_FILE_BYTES:,} bytes of UTF-8 text (a byte-order "
        f"mark is accepted); an `extends` chain has at most {MAX_EXTENDS_DEPTH} files.",
        "",
        "## Parameter sections",
        "",
        "Every key, its default, range, unit and meaning is in "
        "[parameters.md](parameters.md). Keys per section:",
        "",
    ]
    for section in SECTIONS:
        keys = ", ".join(f"`{p.name}`" for p in PARAMETERS if p.section == section)
        lines.append(f"* `[{section}]`: {keys}")
    lines += ["", "## `[[interventions]]`", "",
              "Every table has a `type` and the common fields; some types have more. A "
              "field left out takes its default (which may differ by type).", ""]
    for cls in INTERVENTIONS.values():
        lines += [f"### `type = \"{cls.kind}\"` ({cls.__name__})", "", _summary(cls), ""]
        lines += _rule_rows(cls, cls.field_rules())
        lines.append("")
    lines += ["## `[structure]`", "",
              f"Each table is an array of 1 to {MAX_ROWS} tables; a table given replaces the "
              "default table entirely.", ""]
    for table, rules in ROW_RULES.items():
        lines += [f"### `[[structure.{table}]]`", ""]
        lines += _rule_rows(ROW_TYPES[table], rules)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
