"""Running a scenario and reading its results.

>>> import cxsim
>>> result = cxsim.run(seed=1, n_customers=5000, n_employees=200, days=60)
>>> result.summary()["csat"]  # doctest: +SKIP
0.68

``run`` builds a :class:`~cxsim.engine.model.CXModel`, runs it to the horizon and
returns a :class:`Result`: tidy pandas DataFrames and a flat summary, with no
reference to the model, so a Result pickles and travels between processes.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.enums import Level
from cxsim.core.parameters import Config, ParameterError
from cxsim.core.structure import Structure
from cxsim.engine.interventions import Intervention
from cxsim.engine.metrics import (
    COHORT_HORIZON_DAYS,
    CONTACT_OUTCOMES,
    DEPARTMENT_FIELDS,
    TEAM_FIELDS,
    TOUCHPOINT_FIELDS,
    unit_performance,
    unit_quadrant_names,
)
from cxsim.engine.model import OUTCOME_NAMES, CXModel

#: Headline metrics plotted by :meth:`Result.plot` and printed by the CLI.
HEADLINE = ("csat", "nps", "fcr", "engagement_share", "burnout_share", "churn_rate",
            "active_customers", "revenue")

#: Frames beyond ``daily`` that a run can record (opt-in: the team frame alone is
#: about 10 MB at the default size).
FRAMES = ("departments", "touchpoints", "teams")

#: Seeds are integers from 0 to this bound (exclusive).
SEED_LIMIT = 2**128

#: Summary keys and their meaning (documented in docs/metrics.md).
SUMMARY_DOC: dict[str, str] = {
    "csat": "top-two-box share of survey answers, pooled over the final window",
    "nps": "% promoters minus % detractors of answers in the final window (-100..100)",
    "promoter_share_answers": "share of answers 9-10 in the final window",
    "fcr": "share of problems resolved at their first contact, final window",
    "contacts_per_resolution": "mean contacts per resolved problem, final window",
    "time_to_resolution": "mean days from problem to resolution, final window",
    "quality_mean": "mean interaction quality (0-1), final window",
    "quality_std": "spread (std) of interaction quality, final window mean",
    "consistency": "1 - 2 x quality_std, final window mean",
    "engagement_share": "share of employees engaged, final window mean",
    "engagement_mean": "mean engagement (0-1), final window mean",
    "burnout_share": "share of employees burnt out, final window mean",
    "turnover_rate": "employee leavers per head per year over the intervention period",
    "training_completion": "share of employees trained in the last 90 days, final day",
    "active_customers": "active customers on the final day",
    "acquisitions": "new customers over the intervention period",
    "churned": "customers lost over the intervention period",
    "churn_rate": "customers lost per active customer per year, intervention period",
    "promoter_share": "share of active customers who are promoters, final day",
    "revenue": "total revenue over the intervention period (currency)",
    "revenue_per_day": "mean daily revenue in the final window (currency per day)",
    "intervention_cost": "total cost of interventions over the run (currency)",
    "hiring_cost": "total cost of replacing leavers over the intervention period",
    "final_window_days": "days in the final window: run.summary_window_days, or run.days "
                         "if the intervention period is shorter (never warm-up days)",
    "baseline_window_days": "days in the baseline window: run.summary_window_days, or "
                            "run.burn_in_days if the warm-up is shorter",
    "churned_after_<outcome>": "customers lost over the whole run whose latest problem ended "
                               "in <outcome>: no_problem, resolved_first, resolved_repeat, "
                               "unresolved",
    "churn_share_after_<outcome>": "of the customers whose latest problem ended in <outcome>, "
                                   "the share who churned (looking back, not a cohort)",
    "cohort_contacts_<outcome>": "contacts of the intervention period with this outcome whose "
                                 f"{COHORT_HORIZON_DAYS}-day follow-up ends by the last day "
                                 "(no_problem, resolved_first, resolved_repeat, open, "
                                 "unresolved)",
    f"churn_{COHORT_HORIZON_DAYS}d_after_<outcome>": "of those contacts, the share whose "
                                 "customer churned on the contact's day or within the "
                                 f"{COHORT_HORIZON_DAYS} days from it (cohort followed forward)",
}

#: Unit of each summary key, for printing: ``share`` (0-1, shown in percent, changes in
#: percentage points), ``points`` (NPS), ``money`` (currency), ``money_per_day``,
#: ``count``, ``days``, ``score`` (0-1 index), ``contacts``.
SUMMARY_UNITS: dict[str, str] = {
    "csat": "share", "nps": "points", "promoter_share_answers": "share", "fcr": "share",
    "contacts_per_resolution": "contacts", "time_to_resolution": "days",
    "quality_mean": "score", "quality_std": "score", "consistency": "score",
    "engagement_share": "share", "engagement_mean": "score", "burnout_share": "share",
    "turnover_rate": "share", "training_completion": "share", "active_customers": "count",
    "acquisitions": "count", "churned": "count", "churn_rate": "share",
    "promoter_share": "share", "revenue": "money", "revenue_per_day": "money_per_day",
    "intervention_cost": "money", "hiring_cost": "money", "final_window_days": "days",
    "baseline_window_days": "days",
}


def run(config: Any = None, *, seed: int | None = None,
        interventions: Iterable[Intervention | Mapping[str, Any]] = (),
        structure: Structure | Mapping[str, Any] | None = None, progress: bool = False,
        record: Iterable[str] = FRAMES, **parameters: Any) -> Result:
    """Run one scenario with one seed and return its :class:`Result`.

    Args:
        config: a :class:`~cxsim.core.parameters.Config`, a nested mapping of parameters,
            or a :class:`~cxsim.experiments.scenarios.Scenario` (its parameters,
            interventions, structure and seed; ``interventions``/``structure`` must then
            be left out).
        seed: seed of the run (same seed, same results): an integer >= 0 (numpy integers
            too). ``None``: the scenario's seed if it has one, else a seed drawn from the
            operating system, recorded in ``result.seed`` so the run can be repeated.
        interventions: interventions or their scenario-file tables.
        structure: departments, touchpoints and segments (defaults if omitted).
        progress: show a progress bar.
        record: which of the frames in :data:`FRAMES` to keep (all by default; ``daily``
            is always kept).
        **parameters: flat parameter overrides, e.g. ``silo_strength=0.4``.

    Raises:
        ParameterError: bad input, naming the argument, the value and what is allowed.
    """
    if _is_scenario(config):
        if tuple(interventions) or structure is not None:
            raise ParameterError("cxsim.run(scenario, interventions=..., structure=...) is "
                                 "not allowed: a Scenario brings its own; change the "
                                 "Scenario instead")
        scenario = config
        config, interventions, structure = (scenario.config, scenario.interventions,
                                            scenario.structure)
        if seed is None:
            seed = scenario.seed
    check_run_inputs(config, interventions, structure)
    seed = draw_seed() if seed is None else check_seed(seed)
    frames = check_record(record)
    model = CXModel(config, interventions=list(interventions), structure=structure, rng=seed,
                    **parameters)
    model.run(progress=progress)
    return Result(model, seed, record=frames)


def _is_scenario(value: Any) -> bool:
    return (isinstance(getattr(value, "config", None), Config)
            and hasattr(value, "interventions") and hasattr(value, "structure"))


def check_run_inputs(config: Any, interventions: Any, structure: Any) -> None:
    """Raise ParameterError unless ``config``, ``interventions`` and ``structure`` have
    the types a run accepts."""
    if isinstance(config, (str, Path)):
        raise ParameterError(
            f"config = {str(config)!r} is not allowed: cxsim.run takes parameters, not a "
            "file; load it with cxsim.load_scenario(path) and pass the Scenario")
    if config is not None and not isinstance(config, Mapping):
        raise ParameterError(f"config = {config!r} is not allowed: expected a Config, a "
                             "mapping of parameter sections, a Scenario or None")
    if isinstance(interventions, (str, bytes, Mapping)) or not isinstance(interventions,
                                                                           Iterable):
        raise ParameterError(f"interventions = {interventions!r} is not allowed: expected a "
                             "list of Intervention objects or tables such as "
                             "{'type': 'training'}")
    for i, iv in enumerate(interventions):
        if not isinstance(iv, (Intervention, Mapping)):
            raise ParameterError(
                f"interventions[{i}] = {iv!r} is not allowed: expected an Intervention "
                "(e.g. cxsim.interventions.CXTraining()) or a table such as "
                "{'type': 'training'}")
    if structure is not None and not isinstance(structure, (Structure, Mapping)):
        raise ParameterError(f"structure = {structure!r} is not allowed: expected a "
                             "Structure, a mapping of structure tables or None")


def check_seed(seed: Any, name: str = "seed") -> int:
    """``seed`` as a Python int, or ParameterError: an integer from 0 to 2**128 - 1
    (numpy integers accepted, booleans and floats not)."""
    ok = (isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_))
          and 0 <= int(seed) < SEED_LIMIT)
    if not ok:
        raise ParameterError(f"{name} = {seed!r} is not allowed: expected an integer from 0 "
                             "to 2**128 - 1")
    return int(seed)


def draw_seed() -> int:
    """A fresh seed from the operating system's entropy (0 to 2**32 - 1: short enough
    to type back with ``--seed``)."""
    return secrets.randbelow(2**32)


def check_record(record: Iterable[str]) -> tuple[str, ...]:
    """The frames to record, in :data:`FRAMES` order, or ParameterError."""
    if isinstance(record, str):
        record = (record,)
    try:
        wanted = set(record)
    except TypeError:
        raise ParameterError(f"record = {record!r} is not allowed: expected some of "
                             + ", ".join(FRAMES)) from None
    unknown = [r for r in wanted if r not in FRAMES]
    if unknown:
        raise ParameterError(f"record = {unknown[0]!r} is not allowed: expected some of "
                             + ", ".join(FRAMES) + " (daily is always recorded)")
    return tuple(f for f in FRAMES if f in wanted)


class Result:
    """Outcome of one run: tidy DataFrames, a summary, plots and files.

    A Result holds no reference to the model: it pickles and crosses processes.

    Attributes:
        daily: one row per day, one column per metric (see ``docs/metrics.md``).
        departments: one row per (day, department), or None if not recorded.
        touchpoints: one row per (day, touchpoint), or None if not recorded.
        teams: one row per (day, team), or None if not recorded; a team is a manager
            (or executive) and the frontline employees reporting to them (managers lead
            their own team, so an executive's team is the executive alone).
        churn_by_outcome: per latest problem outcome, customers now and churned (looking
            back from churn).
        cohorts: per contact outcome, (contacts followed, churned within 90 days): the
            outcome cohorts followed forward (docs/metrics.md).
        config: the parameters of the run; ``seed``: its seed; ``burn_in``: warm-up days.
        interventions: the interventions as scenario-file tables.
        structure: the run's :class:`~cxsim.core.structure.Structure`.
        record: the frames recorded beyond ``daily``.
        spec: the :class:`~cxsim.experiments.specs.RunSpec` that produced the run, when it
            was run from one (``RunSpec.from_result`` rebuilds one for any Result).
        measures: extra values measured on the model after the run by a comparison's
            ``measure`` function (empty otherwise).
    """

    def __init__(self, model: CXModel, seed: int, *, record: Iterable[str] = FRAMES,
                 spec: Any = None):
        self.config: Config = model.p
        self.seed = int(seed)
        self.spec = spec
        self.measures: dict[str, float] = {}
        self.burn_in = model.burn_in
        self.record = check_record(record)
        self.interventions = [iv.to_dict() for iv in model.interventions]
        self.structure: Structure = model.structure
        self.daily = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        for col in ("day", "intervention_day", "headcount", "active_customers"):
            self.daily[col] = self.daily[col].astype(int)
        self.departments = self.touchpoints = self.teams = None
        days = np.arange(-1, model.horizon)
        structure = model.structure
        if "departments" in self.record:
            self.departments = _tidy(model.recorder.by_department, days, "department",
                                     structure.department_names, DEPARTMENT_FIELDS,
                                     self.burn_in)
        if "touchpoints" in self.record:
            self.touchpoints = _tidy(model.recorder.by_touchpoint, days, "touchpoint",
                                     structure.touchpoint_names, TOUCHPOINT_FIELDS,
                                     self.burn_in)
            owners = {t.name: t.owner for t in structure.touchpoints}
            self.touchpoints.insert(3, "owner", self.touchpoints["touchpoint"].map(owners))
        if "teams" in self.record:
            leaders = model.team_leaders
            self.teams = _tidy(model.recorder.by_team, days, "team", leaders.tolist(),
                               TEAM_FIELDS, self.burn_in)
            leader_dept = dict(zip(leaders.tolist(),
                                   np.array(structure.department_names)[
                                       model.department[leaders]]))
            self.teams.insert(3, "department", self.teams["team"].map(leader_dept))
        #: one row per business unit over the final window (docs/metrics.md), None when
        #: the run has no final window to follow
        self.units: pd.DataFrame | None = unit_frame(model)
        #: outcome cohorts followed forward: outcome -> (contacts followed, churned within
        #: COHORT_HORIZON_DAYS); contacts of the intervention period
        self.cohorts: dict[str, tuple[int, int]] = model.recorder.cohorts(
            self.burn_in, model.horizon - 1)
        self.churn_by_outcome = {
            name: {"customers_now": int(model.outcome_customers[i]),
                   "churned": int(model.churn_by_outcome[i])}
            for i, name in enumerate(OUTCOME_NAMES)
        }

    # ------------------------------------------------------------------ summary

    def window(self, period: str = "final") -> pd.DataFrame:
        """Daily rows of the final window (``final``: the last ``summary_window_days`` of
        the intervention period) or of the window ending the warm-up (``baseline``: the
        last ``summary_window_days`` of the warm-up). A window is shorter when its period
        is; the final window never reaches into the warm-up."""
        w = self.config.summary_window_days
        daily = self.daily[self.daily["day"] >= 0]
        if period == "final":
            return daily[daily["intervention_day"] >= 0].iloc[-w:]
        if period == "baseline":
            return daily[daily["day"] < self.burn_in].iloc[-w:]
        raise ValueError(f"period = {period!r} is not allowed: expected 'final' or 'baseline'")

    def summary(self) -> dict[str, float]:
        """Flat mapping of metric name to final value (see :data:`SUMMARY_DOC`).

        Keys prefixed ``baseline_`` give the same pooled survey and service
        metrics over the last window of the warm-up, inside the same run: their
        difference from the final window is the drift within one run, not an
        intervention's effect (``cxsim compare`` measures effects).
        A ratio with nothing to divide by (no answers in the window...) is NaN.
        """
        final = self.window("final")
        out = _window_summary(final)
        run = self.daily[self.daily["intervention_day"] >= 0]
        last = self.daily.iloc[-1]
        years = max(len(run), 1) / 365.0
        mean_active = run["active_customers"].mean() if len(run) else float("nan")
        mean_headcount = run["headcount"].mean() if len(run) else float("nan")
        out.update({
            "turnover_rate": float(run["quits"].sum() / mean_headcount / years)
            if mean_headcount else float("nan"),
            "training_completion": float(last["training_completion"]),
            "active_customers": int(last["active_customers"]),
            "acquisitions": int(run["acquisitions"].sum()),
            "churned": int(run["churned"].sum()),
            "churn_rate": float(run["churned"].sum() / mean_active / years)
            if mean_active else float("nan"),
            "promoter_share": float(last["promoter_share"]),
            "revenue": float(run["revenue"].sum()),
            "intervention_cost": float(self.daily["intervention_cost"].sum()),
            "hiring_cost": float(run["hiring_cost"].sum()),
            "final_window_days": len(final),
        })
        if self.burn_in > 0:
            baseline = self.window("baseline")
            for key, value in _window_summary(baseline).items():
                out[f"baseline_{key}"] = value
            out["baseline_window_days"] = len(baseline)
        for name in CONTACT_OUTCOMES:
            followed, churned = self.cohorts.get(name, (0, 0))
            out[f"cohort_contacts_{name}"] = followed
            out[f"churn_{COHORT_HORIZON_DAYS}d_after_{name}"] = (
                churned / followed if followed else float("nan"))
        for name, counts in self.churn_by_outcome.items():
            out[f"churned_after_{name}"] = counts["churned"]
            ever = counts["churned"] + counts["customers_now"]
            out[f"churn_share_after_{name}"] = counts["churned"] / ever if ever else float("nan")
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v)
                for k, v in out.items()}

    # ------------------------------------------------------------------ output

    def plot(self, path: str | Path | None = None, metrics: Iterable[str] = HEADLINE,
             title: str | None = None):
        """A quick look at metrics over time (daily and 7-day means, raw metric names
        and values) as a matplotlib Figure; saved to ``path`` if given. For the labelled
        figure (units, fixed axes, the summary windows marked) use
        :func:`cxsim.interfaces.plots.run_figure`."""
        from matplotlib.figure import Figure

        metrics = list(metrics)
        cols = 2
        rows = (len(metrics) + 1) // cols
        fig = Figure(figsize=(11, 2.6 * rows))
        axes = fig.subplots(rows, cols, sharex=True, squeeze=False)
        daily = self.daily[self.daily["day"] >= 0]
        x = daily["intervention_day"]
        for ax, name in zip(np.ravel(axes), metrics):
            ax.plot(x, daily[name], color="0.8", lw=0.6)
            ax.plot(x, daily[name].rolling(7, min_periods=1).mean(), color="C0", lw=1.5)
            ax.axvline(0, color="C3", ls="--", lw=1)
            ax.set_title(name.replace("_", " "))
            ax.grid(alpha=0.3)
        for ax in np.ravel(axes)[len(metrics):]:
            ax.set_visible(False)
        for ax in np.ravel(axes)[-cols:]:
            ax.set_xlabel("day (0 = end of warm-up)")
        fig.suptitle(f"{title or 'cxsim run'}, seed {self.seed} (grey: daily, blue: 7-day mean)")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig

    def files(self) -> list[str]:
        """Names of the files :meth:`save` writes for this Result."""
        return (["summary.json", "config.json", "daily.csv"]
                + [f"{name}.csv" for name in self.record]
                + (["units.csv"] if self.units is not None else []) + ["headline.png"])

    def save(self, directory: str | Path, title: str | None = None,
             figure: Callable[[Result, str | None], Any] | None = None) -> Path:
        """Write summary.json (valid JSON: undefined values are ``null``), config.json
        (everything needed to rerun, seed included), the daily CSV, the CSV of each
        recorded frame and headline.png (titled ``title``) into ``directory`` (created
        if needed). ``figure(result, title)`` draws headline.png (default: :meth:`plot`;
        ``cxsim run --out`` passes :func:`cxsim.interfaces.plots.run_figure`)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json_text(self.summary()))
        config = {
            "seed": self.seed,
            "parameters": self.config.to_nested(),
            "interventions": self.interventions,
            "structure": self.structure.to_dict(),
        }
        if self.spec is not None:
            config["spec_hash"] = self.spec.content_hash
        (out / "config.json").write_text(json_text(config))
        self.daily.to_csv(out / "daily.csv", index=False)
        for name in self.record:
            getattr(self, name).to_csv(out / f"{name}.csv", index=False)
        if self.units is not None:
            self.units.to_csv(out / "units.csv", index=False)
        if figure is None:
            self.plot(out / "headline.png", title=title)
        else:
            figure(self, title).savefig(out / "headline.png", dpi=150)
        return out


def unit_frame(model: CXModel) -> pd.DataFrame | None:
    """Each business unit of ``model``: its climate, its staff and customers, its
    employees' and customers' engagement at the start of the final window, and its
    revenue, operating profit (per customer, annualised), margin and staff turnover (hires
    per head per year) over the window, with its Gallup quadrant
    (:func:`cxsim.engine.metrics.unit_quadrants`). None for a run with no final window
    after its warm-up, and for the per-agent reference model (it keeps no unit ledger: the
    table is a measurement, not a mechanism to dock)."""
    if getattr(model, "unit_ledger", None) is None or model.window_start is None:
        return None
    units = unit_performance(model, model.window_start, model.unit_ledger)
    staff = model.level != Level.EXECUTIVE
    return pd.DataFrame({
        "unit": np.arange(model.n_units),
        "climate": model.unit_climate,
        "staff_positions": np.bincount(model.unit[staff], minlength=model.n_units),
        "customers_at_start": units["customers"].astype(int),
        "employee_engagement": units["employee_engagement"],
        "engaged_customers": units["engaged_customers"],
        "revenue_per_customer": units["revenue"],
        "profit_per_customer": units["profit"],
        "margin": units["margin"],
        "turnover": units["turnover"],
        "quadrant": unit_quadrant_names(units),
    })


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None (JSON ``null``) and numpy
    scalars by Python ones, recursively through mappings and sequences."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def json_text(value: Any) -> str:
    """Strict JSON (no bare NaN or Infinity), indented, with a final newline."""
    return json.dumps(json_safe(value), indent=2, allow_nan=False) + "\n"


def _window_summary(window: pd.DataFrame) -> dict[str, float]:
    s = window.sum(numeric_only=True)

    def ratio(a: str, b: str) -> float:
        return float(s[a] / s[b]) if s[b] else float("nan")

    resolved = s["resolved_first"] + s["resolved_repeat"]
    return {
        "csat": ratio("csat_top2", "responses"),
        "nps": 100.0 * float((s["nps_promoters"] - s["nps_detractors"]) / s["responses"])
        if s["responses"] else float("nan"),
        "promoter_share_answers": ratio("nps_promoters", "responses"),
        "fcr": ratio("resolved_first", "first_contacts"),
        "contacts_per_resolution": float(
            (window["contacts_per_resolution"] * (window["resolved_first"]
                                                  + window["resolved_repeat"])).sum()
            / resolved) if resolved else float("nan"),
        "time_to_resolution": float(
            (window["time_to_resolution"] * (window["resolved_first"]
                                             + window["resolved_repeat"])).sum()
            / resolved) if resolved else float("nan"),
        "quality_mean": float((window["quality_mean"] * window["contacts"]).sum()
                              / s["contacts"]) if s["contacts"] else float("nan"),
        "quality_std": float(window["quality_std"].mean()),
        "consistency": float(window["consistency"].mean()),
        "engagement_share": float(window["engagement_share"].mean()),
        "engagement_mean": float(window["engagement_mean"].mean()),
        "burnout_share": float(window["burnout_share"].mean()),
        "revenue_per_day": float(window["revenue"].mean()),
    }


def _tidy(buffer: np.ndarray, days: np.ndarray, key: str, labels: list, fields: tuple,
          burn_in: int) -> pd.DataFrame:
    n_days, n_items, _ = buffer.shape
    frame = pd.DataFrame(buffer.reshape(n_days * n_items, len(fields)).astype(float),
                         columns=list(fields))
    frame.insert(0, "day", np.repeat(days, n_items))
    frame.insert(1, "intervention_day", np.repeat(days - burn_in, n_items))
    frame.insert(2, key, np.tile(np.array(labels, dtype=object), n_days))
    return frame
