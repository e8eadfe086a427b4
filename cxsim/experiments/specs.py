"""The unit of work that travels: a :class:`RunSpec` describes one run completely.

A spec holds the run's parameters (every one, defaults included), its interventions as
scenario-file tables, its structure, its seed, the scenario's name and which frames to
record. It is small, frozen, hashable and picklable, so a worker process receives a spec
and returns a :class:`~cxsim.results.Result`; nothing model-like crosses a process.

>>> from cxsim.experiments.specs import RunSpec, run_spec
>>> spec = RunSpec.build(seed=3, n_employees=60, n_customers=800, burn_in_days=5, days=10)
>>> len(spec.content_hash)
64
>>> run_spec(spec).seed
3

:attr:`RunSpec.content_hash` is the sha256 of the spec's canonical JSON (sorted keys,
no whitespace, floats written by ``repr``, numbers of float fields written as floats):
the same spec gives the same hash in any process and Python version. The scenario's name
is a label and is not hashed; everything that can change the results is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from cxsim.core.parameters import Config, ParameterError
from cxsim.core.structure import Structure
from cxsim.engine.interventions import Intervention
from cxsim.engine.model import CXModel, resolve_inputs
from cxsim.results import Result, check_record, check_run_inputs, check_seed

#: Version of the canonical form hashed by :attr:`RunSpec.content_hash`.
SPEC_FORMAT = "cxsim.RunSpec/1"


@dataclass(frozen=True)
class RunSpec:
    """Complete description of one run. Build it with :meth:`build`, :meth:`from_dict`
    or :meth:`from_result`; fields hold canonical (JSON) forms so the spec is hashable.

    Attributes:
        parameters: every parameter as ``(flat name, value)`` pairs, sorted by name.
        interventions: each intervention's scenario-file table, as canonical JSON.
        structure: the structure's tables, as canonical JSON.
        seed: the run's seed.
        scenario: the scenario's name (a label: not part of the hash).
        record: frames recorded beyond ``daily`` (some of ``cxsim.results.FRAMES``).
    """

    parameters: tuple[tuple[str, bool | int | float], ...]
    interventions: tuple[str, ...]
    structure: str
    seed: int
    scenario: str = "default"
    record: tuple[str, ...] = ()

    @classmethod
    def build(cls, config: Config | Mapping[str, Any] | None = None, *, seed: Any,
              interventions: Iterable[Intervention | Mapping[str, Any]] = (),
              structure: Structure | Mapping[str, Any] | None = None,
              scenario: str = "default", record: Iterable[str] = (),
              **parameters: Any) -> RunSpec:
        """A validated spec from the same inputs as :func:`cxsim.run` (``parameters`` are
        flat overrides on top of ``config``).

        Raises:
            ParameterError: bad input, naming the field, the value and what is allowed.
        """
        check_run_inputs(config, interventions, structure)
        seed = check_seed(seed)
        config, structure, ivs = resolve_inputs(config, list(interventions), structure,
                                                parameters)
        for iv in ivs:
            iv.check_targets(structure)
        return cls(parameters=tuple(sorted(config.to_flat().items())),
                   interventions=tuple(_canonical_json(_intervention_table(iv)) for iv in ivs),
                   structure=_canonical_json(_structure_tables(structure)),
                   seed=seed, scenario=str(scenario), record=check_record(record))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """Rebuild a spec from :meth:`to_dict` (e.g. a ``specs.json`` written by
        ``cxsim compare --out``)."""
        if not isinstance(data, Mapping):
            raise ParameterError(f"spec = {data!r} is not allowed: expected a mapping")
        allowed = {"format", "scenario", "seed", "parameters", "interventions", "structure",
                   "record", "hash"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ParameterError(f"spec: unknown key {unknown[0]!r}: allowed are "
                                 + ", ".join(sorted(allowed)))
        if "seed" not in data:
            raise ParameterError("spec: seed is missing: expected an integer >= 0")
        return cls.build(Config.from_flat(data.get("parameters") or {}), seed=data["seed"],
                         interventions=data.get("interventions", ()),
                         structure=data.get("structure"),
                         scenario=data.get("scenario", "default"),
                         record=data.get("record", ()))

    @classmethod
    def from_result(cls, result: Result) -> RunSpec:
        """The spec of the run behind ``result`` (its own if it was run from one)."""
        if result.spec is not None:
            return result.spec
        return cls.build(result.config, seed=result.seed, interventions=result.interventions,
                         structure=result.structure, record=result.record)

    def replace(self, **changes: Any) -> RunSpec:
        """A copy with some of ``seed``, ``scenario``, ``record`` changed."""
        allowed = {"seed", "scenario", "record"}
        for key in changes:
            if key not in allowed:
                raise ParameterError(f"RunSpec.replace({key}=...) is not allowed: only "
                                     + ", ".join(sorted(allowed)))
        if "seed" in changes:
            changes["seed"] = check_seed(changes["seed"])
        if "record" in changes:
            changes["record"] = check_record(changes["record"])
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ views

    @property
    def config(self) -> Config:
        """The run's parameters as a :class:`~cxsim.core.parameters.Config`."""
        return Config.from_flat(dict(self.parameters))

    @property
    def intervention_tables(self) -> list[dict[str, Any]]:
        """The interventions as scenario-file tables (fresh copies)."""
        return [json.loads(text) for text in self.interventions]

    @property
    def structure_tables(self) -> dict[str, Any]:
        """The structure as scenario-file tables (a fresh copy)."""
        return json.loads(self.structure)

    @property
    def burn_in_days(self) -> int:
        return int(dict(self.parameters)["burn_in_days"])

    @property
    def days(self) -> int:
        return int(dict(self.parameters)["days"])

    def hashed_fields(self) -> dict[str, Any]:
        """What :attr:`content_hash` covers: everything in :meth:`to_dict` except the
        scenario's name and the hash itself."""
        return {"format": SPEC_FORMAT, "seed": self.seed,
                "parameters": dict(self.parameters),
                "interventions": self.intervention_tables,
                "structure": self.structure_tables, "record": list(self.record)}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (with the hash), readable by :meth:`from_dict`."""
        return {**self.hashed_fields(), "scenario": self.scenario, "hash": self.content_hash}

    @cached_property
    def content_hash(self) -> str:
        """sha256 (hex) of the canonical JSON of :meth:`hashed_fields`: keys sorted, no
        whitespace (separators ``,`` and ``:``), ASCII, floats by ``repr``."""
        return hashlib.sha256(_canonical_json(self.hashed_fields()).encode("ascii")).hexdigest()

    def __repr__(self) -> str:
        kinds = ", ".join(json.loads(t)["type"] for t in self.interventions) or "none"
        return (f"RunSpec(scenario={self.scenario!r}, seed={self.seed}, interventions=[{kinds}],"
                f" hash={self.content_hash[:12]})")


def run_spec(spec: RunSpec, progress: bool = False) -> Result:
    """Run ``spec`` to its horizon and return its model-free :class:`Result`."""
    model = CXModel(spec.config, interventions=spec.intervention_tables,
                    structure=spec.structure_tables, rng=spec.seed)
    model.run(progress=progress)
    return result_of(model, spec)


def result_of(model: CXModel, spec: RunSpec) -> Result:
    """The :class:`Result` of ``model`` (run to its horizon) described by ``spec``."""
    return Result(model, spec.seed, record=spec.record, spec=spec)


# ---------------------------------------------------------------------- canonical form


def _canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, ASCII, floats by repr; NaN and infinities refused."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                          allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ParameterError(f"spec value is not allowed: {error}; expected finite numbers, "
                             "strings, booleans, lists and tables") from None


def _float_fields(obj: Any) -> set[str]:
    """Names of the dataclass fields of ``obj`` declared as floats."""
    if not dataclasses.is_dataclass(obj):
        return set()
    return {f.name for f in dataclasses.fields(obj)
            if f.type in ("float", float, "float | None")}


def _coerce(table: dict[str, Any], float_fields: set[str]) -> dict[str, Any]:
    """``table`` with integers in float fields written as floats (1 and 1.0 hash alike)."""
    return {key: (float(value) if key in float_fields and isinstance(value, int)
                  and not isinstance(value, bool) else value)
            for key, value in table.items()}


def _intervention_table(iv: Intervention) -> dict[str, Any]:
    return _coerce(iv.to_dict(), _float_fields(iv))


def _structure_tables(structure: Structure) -> dict[str, Any]:
    tables = structure.to_dict()
    for key in tables:
        rows = getattr(structure, key)
        tables[key] = [_coerce(table, _float_fields(row))
                       for table, row in zip(tables[key], rows)]
    return tables
