"""Scenario files: a TOML file that names parameters, structure and interventions.

A scenario file reads like the EMA Workbench's split: sections of parameters
(the organisation and market you do not control, and baseline practices),
``[[interventions]]`` (the levers you pull), and optional ``[structure]`` tables.

.. code-block:: toml

    name = "Training programme"
    description = "Quarterly CX training for all frontline staff."
    seed = 7

    [organisation]
    n_employees = 1000
    silo_strength = 0.7

    [[interventions]]
    type = "training"
    start = 0
    levels = ["frontline"]
    hours = 8
    refresh_days = 90

See ``docs/scenarios.md`` for every field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxsim.engine.interventions import Intervention
from cxsim.engine.interventions import from_dict as intervention_from_dict
from cxsim.core.parameters import SECTIONS, Config, ParameterError
from cxsim.core.structure import Structure

TOP_LEVEL = {"name", "description", "seed", "interventions", "structure"}


@dataclass
class Scenario:
    """A named configuration with interventions and structure."""

    name: str = "default"
    description: str = ""
    config: Config = field(default_factory=Config)
    interventions: list[Intervention] = field(default_factory=list)
    structure: Structure = field(default_factory=Structure)
    seed: int | None = None

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], source: str = "scenario") -> Scenario:
        unknown = [k for k in spec if k not in TOP_LEVEL and k not in SECTIONS]
        if unknown:
            raise ParameterError(
                f"{source}: unknown key {unknown[0]!r}: allowed are "
                + ", ".join(sorted(TOP_LEVEL) + list(SECTIONS))
            )
        seed = spec.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
            raise ParameterError(f"{source}: seed = {seed!r} is not allowed: expected an "
                                 "integer >= 0")
        ivs = spec.get("interventions", [])
        if not isinstance(ivs, list) or not all(isinstance(i, Mapping) for i in ivs):
            raise ParameterError(f"{source}: interventions = {ivs!r} is not allowed: expected "
                                 "a list of [[interventions]] tables")
        try:
            scenario = cls(
                name=str(spec.get("name", "scenario")),
                description=str(spec.get("description", "")),
                config=Config.from_nested({k: v for k, v in spec.items() if k in SECTIONS}),
                interventions=[intervention_from_dict(i) for i in ivs],
                structure=Structure.from_dict(spec.get("structure", {})),
                seed=seed,
            )
            for intervention in scenario.interventions:
                intervention.check_targets(scenario.structure)
            return scenario
        except ParameterError as error:
            raise ParameterError(f"{source}: {error}") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a TOML scenario file; errors name the file, the field and what is allowed."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"scenario file {str(path)!r} does not exist")
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ParameterError(f"{path}: not valid TOML: {error}") from None
    return Scenario.from_dict(spec, source=str(path))
