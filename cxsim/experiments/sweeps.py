"""Sweeps: many seeded, replicated runs of one base scenario over a sampling design.

A sweep spec is a TOML file (see ``docs/sweeps.md``)::

    name = "silos and training"
    base = "baseline"            # a library scenario or a path relative to this file
    design = "latin"             # grid, latin, sobol or morris
    samples = 16
    replicates = 2
    seed = 1
    outputs = ["csat", "nps"]    # default: every summary metric
    daily = false                # also store each run's daily series

    [[parameters]]
    key = "organisation.silo_strength"
    low = 0.2
    high = 0.9

    [[parameters]]
    key = "interventions.training.intensity"
    low = 0.0
    high = 1.0

A point is a row of :meth:`SweepSpec.points`; its run is the base scenario with the
point's values applied (parameters through ``Config.with_overrides``; an intervention
field by rewriting the base's one intervention of that type). Replicate ``r`` of every
point runs with seed ``seed + r``: common random numbers across points, so differences
between points are not blurred by different random streams. Every (point, replicate) is
a :class:`~cxsim.experiments.specs.RunSpec`; :func:`run_sweep` runs them on a local
process pool or a Dask cluster (:mod:`cxsim.experiments.backends`) into a resumable
Parquet store (:mod:`cxsim.experiments.store`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, PrivateAttr, ValidationError

from cxsim.core.parameters import PARAMETERS_BY_NAME, ParameterError, lookup, show_value
from cxsim.core.validation import Rule, suggest, table_error_line, table_model
from cxsim.engine.interventions import INTERVENTIONS
from cxsim.engine.model import OUTCOME_NAMES
from cxsim.experiments.scenarios import Scenario, library, load_scenario, read_toml
from cxsim.experiments.specs import RunSpec, run_spec
from cxsim.results import SUMMARY_UNITS

#: Summary metrics a sweep can keep (``outputs``); all of them by default.
OUTPUT_METRICS: tuple[str, ...] = tuple(SUMMARY_UNITS) + tuple(
    f"{kind}_after_{name}" for name in OUTCOME_NAMES for kind in ("churned", "churn_share"))
#: Sampling designs (see :func:`cxsim.experiments.designs.sample`).
DESIGNS = ("grid", "latin", "sobol", "morris")
#: Most parameters one sweep varies.
MAX_PARAMETERS = 100
#: Most runs (points x replicates) one sweep plans.
MAX_RUNS = 10_000_000

PARAMETER_RULES: dict[str, Rule] = {
    "key": Rule("str", high=200, description="A parameter's dotted key "
                "(organisation.silo_strength) or an intervention field "
                "(interventions.<type>.<field>)."),
    "low": Rule("float", -1e15, 1e15, description="Lower bound of the range."),
    "high": Rule("float", -1e15, 1e15, description="Upper bound of the range."),
    "integer": Rule("bool", description="Round sampled values to whole numbers (always for "
                    "integer parameters)."),
}
TOP_LEVEL_RULES: dict[str, Rule] = {
    "name": Rule("str", high=200, description="Short name of the sweep."),
    "description": Rule("str", high=2000, description="One-line description."),
    "base": Rule("str", high=1000, description="Base scenario: a library scenario's name or a "
                 "path relative to the sweep file."),
    "design": Rule("choice", choices=DESIGNS, description="Sampling design."),
    "samples": Rule("int", 1, 1_000_000, description="Points (latin), levels per parameter "
                    "(grid), base points N (sobol) or trajectories (morris)."),
    "levels": Rule("int", 2, 1000, description="Grid levels for morris trajectories."),
    "replicates": Rule("int", 1, 100_000, description="Seeds per point."),
    "seed": Rule("int", 0, 2**62, unit="seed", description="Replicate r of every point runs "
                 "with seed + r (common random numbers)."),
    "outputs": Rule("names", choices=OUTPUT_METRICS, nullable=True,
                    description="Summary metrics kept per run; default all."),
    "daily": Rule("bool", description="Also store each run's daily series."),
    "second_order": Rule("bool", description="Sobol: also sample second-order indices."),
}
DEFAULTS = {"description": "", "levels": 4, "outputs": None, "daily": False,
            "second_order": False}
ParameterRange = table_model("ParameterRange", PARAMETER_RULES, {"integer": False},
                             doc="One swept parameter and its range.")


class SweepSpec(table_model("SweepSpecFields", TOP_LEVEL_RULES, DEFAULTS,
                            doc="A cxsim sweep spec.",
                            parameters=(Annotated[list[ParameterRange],
                                                  Field(min_length=1,
                                                        max_length=MAX_PARAMETERS)],
                                        Field(description="[[parameters]]: what varies."))),
                ):
    """A validated sweep spec: build it with :meth:`from_dict` or :func:`load_sweep_spec`
    (both check everything and raise one-line :class:`ParameterError`\\ s)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @classmethod
    def from_dict(cls, data: Any, base_dir: str | Path | None = None,
                  source: str = "sweep") -> SweepSpec:
        """Validate ``data`` (the tables of a sweep file); ``base`` paths are relative to
        ``base_dir``. Every error is a line naming the key path, the value and what is
        allowed, prefixed with ``source``."""
        try:
            spec = _validate(data)
            spec._base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
            spec.check()
        except ParameterError as error:
            raise error.prefixed(f"{source}: ") from None
        return spec

    # ------------------------------------------------------------------ views

    @property
    def keys(self) -> list[str]:
        """The swept keys, in declaration order (the columns of :meth:`points`)."""
        return [p.key for p in self.parameters]

    @property
    def metrics(self) -> tuple[str, ...]:
        """The summary metrics kept."""
        return tuple(self.outputs) if self.outputs is not None else OUTPUT_METRICS

    def problem(self) -> dict[str, Any]:
        """The SALib problem of the swept parameters (names and bounds from the spec)."""
        from cxsim.experiments import designs

        return designs.salib_problem([(p.key, p.low, p.high) for p in self.parameters])

    def points(self) -> np.ndarray:
        """The design's points: one row per point, one column per swept key (rounded where
        ``integer``)."""
        from cxsim.experiments import designs

        points = np.asarray(designs.sample(self.problem(), self.design, self.samples, self.seed,
                                           levels=self.levels,
                                           second_order=self.second_order), dtype=float)
        for column, p in enumerate(self.parameters):
            if self.is_integer(p):
                points[:, column] = np.round(points[:, column])
        return points

    def is_integer(self, p: Any) -> bool:
        """Whether swept values of ``p`` are rounded."""
        return bool(p.integer) or _declared_kind(p.key) is int

    def base_scenario(self) -> Scenario:
        """The base scenario, loaded (a library name, else a path relative to the spec)."""
        base = self.base
        path = Path(base) if Path(base).is_absolute() else self._base_dir / base
        if not path.exists() and (base in library() or ("/" not in base and os.sep not in base
                                                        and not base.endswith(".toml"))):
            return load_scenario(base)  # a library name (or a did-you-mean among them)
        return load_scenario(path)

    # ------------------------------------------------------------------ checks

    def check(self) -> None:
        """Check what the field rules cannot: known keys, ranges, the design's fit."""
        scenario = self.base_scenario()
        kinds = [iv.to_dict()["type"] for iv in scenario.interventions]
        errors: list[str] = []
        seen: set[str] = set()
        for index, p in enumerate(self.parameters, 1):
            where = f"parameters[{index}]"
            if p.key in seen:
                errors.append(f"{where}.key = {show_value(p.key)} is not allowed: the key is "
                              "swept twice; expected each key once")
            seen.add(p.key)
            try:
                low, high = _declared_bounds(p.key, kinds)
            except ParameterError as error:
                errors.append(f"{where}.key: {error}")
                continue
            if p.low > p.high:
                errors.append(f"{where}.low = {show_value(p.low)} is not allowed: it is above "
                              f"high = {show_value(p.high)}; expected low < high")
            elif p.low == p.high:
                errors.append(f"{where}.high = {show_value(p.high)} is not allowed: the range "
                              f"is empty (low = high); expected high > low")
            for bound, value in (("low", p.low), ("high", p.high)):
                if not low <= value <= high:
                    errors.append(f"{where}.{bound} = {show_value(value)} is not allowed: "
                                  f"{p.key} accepts {low:g} to {high:g}")
        if errors:
            raise ParameterError(errors)
        runs = self.points().shape[0] * self.replicates
        if runs > MAX_RUNS:
            raise ParameterError(f"samples = {self.samples} is not allowed: the sweep would "
                                 f"plan {runs:,} runs; expected at most {MAX_RUNS:,}")

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-ready tables (as written in the file)."""
        return self.model_dump(mode="json")


def _validate(data: Any) -> SweepSpec:
    if not isinstance(data, Mapping):
        raise ParameterError(f"sweep = {show_value(data)} is not allowed: expected a table "
                             "of keys")
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as error:
        raise ParameterError([_error_line(e, data) for e in error.errors()]) from None


def _error_line(error: Any, data: Mapping[str, Any]) -> str:
    loc = error["loc"]
    if loc and loc[0] == "parameters":
        tables = data.get("parameters")
        if len(loc) == 1:
            return (f"parameters = {show_value(tables)} is not allowed: expected 1 to "
                    f"{MAX_PARAMETERS} [[parameters]] tables with key, low and high")
        table = tables[loc[1]]
        if len(loc) == 2:
            return (f"parameters[{loc[1] + 1}] = {show_value(table)} is not allowed: expected a "
                    "table with key, low and high")
        return table_error_line(error, loc[2:], f"parameters[{loc[1] + 1}]", PARAMETER_RULES,
                                table)
    return table_error_line(error, loc, "", TOP_LEVEL_RULES, data,
                            unknown=lambda key: f"unknown key {show_value(key)}: "
                            + suggest(str(key), list(TOP_LEVEL_RULES) + ["parameters"]))


def _declared_kind(key: str) -> type | None:
    if key.startswith("interventions."):
        _, kind, name = key.split(".", 2)
        rule = INTERVENTIONS[kind].field_rules()[name]
        return int if rule.kind == "int" else float
    return PARAMETERS_BY_NAME[lookup(key).name].kind


def _declared_bounds(key: str, kinds: list[str]) -> tuple[float, float]:
    """The range ``key`` accepts, or ParameterError (unknown key, an intervention the
    base has not exactly once, a field that is not a number)."""
    if key.startswith("interventions."):
        parts = key.split(".")
        if len(parts) != 3:
            raise ParameterError(f"{show_value(key)} is not allowed: expected "
                                 "interventions.<type>.<field>")
        _, kind, name = parts
        if kind not in INTERVENTIONS:
            raise ParameterError(f"unknown intervention type {show_value(kind)}: "
                                 + suggest(kind, list(INTERVENTIONS)))
        count = kinds.count(kind)
        if count != 1:
            have = ", ".join(kinds) or "none"
            raise ParameterError(f"{show_value(key)} is not allowed: the base scenario has "
                                 f"{count} interventions of type {kind!r} (it has: {have}); "
                                 "expected exactly one")
        rules = INTERVENTIONS[kind].field_rules()
        rule = rules.get(name)
        numeric = [n for n, r in rules.items() if r.kind in ("int", "float")]
        if rule is None or rule.kind not in ("int", "float"):
            raise ParameterError(f"unknown numeric field {show_value(name)} of {kind}: "
                                 + suggest(name, numeric))
        return float(rule.low), float(rule.high)
    parameter = lookup(key)
    if parameter.kind is bool:
        raise ParameterError(f"{show_value(key)} is not allowed: it is true or false; expected "
                             "a numeric parameter")
    return float(parameter.low), float(parameter.high)


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec (TOML); errors name the file and the key path."""
    path = Path(path)
    data = read_toml(path)
    return SweepSpec.from_dict(data, base_dir=path.resolve().parent, source=str(path))


# ---------------------------------------------------------------------- planning


@dataclass(frozen=True)
class SweepRun:
    """One (point, replicate) of a sweep: its values and its run spec."""

    point: int
    replicate: int
    values: tuple[float, ...]
    spec: RunSpec


@dataclass(frozen=True)
class SweepTask:
    """What a worker receives: a run spec, and whether to return the daily series."""

    spec: RunSpec
    daily: bool


@dataclass(frozen=True)
class RunOutcome:
    """What a worker returns: the summary (or the error text) and maybe the daily series;
    model-free and small."""

    spec_hash: str
    summary: dict[str, float] | None
    daily: pd.DataFrame | None
    error: str | None


def plan(spec: SweepSpec) -> list[SweepRun]:
    """Every (point, replicate) run of ``spec``, point-major, checked before any run."""
    scenario = spec.base_scenario()
    points = spec.points()
    tables = [iv.to_dict() for iv in scenario.interventions]
    runs = []
    for point, row in enumerate(points):
        overrides: dict[str, Any] = {}
        ivs = [dict(t) for t in tables]
        values = []
        for p, value in zip(spec.parameters, row):
            value = int(value) if spec.is_integer(p) else float(value)
            values.append(value)
            if p.key.startswith("interventions."):
                _, kind, name = p.key.split(".")
                next(t for t in ivs if t["type"] == kind)[name] = value
            else:
                overrides[p.key] = value
        try:
            config = scenario.config.with_overrides(overrides)
            for replicate in range(spec.replicates):
                run = RunSpec.build(config, seed=spec.seed + replicate, interventions=ivs,
                                    structure=scenario.structure, scenario=spec.name)
                runs.append(SweepRun(point, replicate, tuple(values), run))
        except ParameterError as error:
            shown = ", ".join(f"{k} = {v!r}" for k, v in zip(spec.keys, values))
            raise ParameterError(f"point {point} ({shown}) is not allowed: {line}"
                                 for line in error.errors) from None
    return runs


def sweep_hash(spec: SweepSpec, runs: list[SweepRun]) -> str:
    """sha256 of what determines the sweep's results: the design fields and every run's
    hash (so a moved spec file keeps its hash, an edited base scenario does not)."""
    fields = {k: v for k, v in spec.to_dict().items() if k not in ("name", "description",
                                                                   "base")}
    text = json.dumps({"spec": fields, "runs": [r.spec.content_hash for r in runs]},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------- running


def run_task(task: SweepTask) -> RunOutcome:
    """Run one task (in a worker): the summary, or the error text if the run raised."""
    try:
        result = run_spec(task.spec)
        return RunOutcome(task.spec.content_hash, result.summary(),
                          result.daily if task.daily else None, None)
    except Exception as error:  # recorded in the store; the sweep goes on
        return RunOutcome(task.spec.content_hash, None, None,
                          f"{type(error).__name__}: {error}")


def run_sweep(spec: SweepSpec, out: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True,
              function: Callable[[SweepTask], RunOutcome] = run_task) -> pd.DataFrame:
    """Run (or resume) ``spec`` into the store at ``out`` and return :func:`load_sweep`.

    Runs already stored (and readable, with the right hash) are skipped; torn files and
    failed runs are redone. ``workers``: local processes (default: the machine's cores;
    1 runs in this process); ``scheduler``: a Dask scheduler address or ``"local"``.
    Results do not depend on either.
    """
    from cxsim.experiments import backends
    from cxsim.experiments.store import Store, check_store_dir, load_sweep

    runs = plan(spec)
    digest = sweep_hash(spec, runs)
    check_store_dir(Path(out), digest)  # before any worker starts or any file is written
    with backends.start(workers=workers, scheduler=scheduler) as backend:
        store = Store.open(out, spec, runs, digest)
        todo = [r for r in runs if r.spec.content_hash not in store.done]
        by_hash = {r.spec.content_hash: r for r in runs}
        tasks = [SweepTask(r.spec, spec.daily) for r in todo]
        bar = _progress(len(runs), len(runs) - len(todo), progress)
        failed = 0
        try:
            for outcome in backend.map(function, tasks, _lost):
                store.write(by_hash[outcome.spec_hash], outcome)
                failed += outcome.error is not None
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(failed=failed, refresh=False)
        finally:
            if bar is not None:
                bar.close()
    return load_sweep(out)


def _lost(task: SweepTask, error: BaseException) -> RunOutcome:
    """The outcome of a task whose worker died or raised."""
    return RunOutcome(task.spec.content_hash, None, None, f"{type(error).__name__}: {error}")


def _progress(total: int, done: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="run", desc="cxsim sweep", leave=False)


def load_sweep(out: str | Path) -> pd.DataFrame:
    """One row per stored run (see :func:`cxsim.experiments.store.load_sweep`)."""
    from cxsim.experiments.store import load_sweep as load

    return load(out)
