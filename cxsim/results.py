"""Running a scenario and reading its results.

>>> import cxsim
>>> result = cxsim.run(seed=1, n_customers=5000, n_employees=200, days=60)
>>> result.summary()["csat"]  # doctest: +SKIP
0.68

``run`` builds a :class:`~cxsim.engine.model.CXModel`, runs it to the horizon and
returns a :class:`Result` with tidy pandas DataFrames and a flat summary.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.engine.interventions import Intervention
from cxsim.engine.metrics import DEPARTMENT_FIELDS, TEAM_FIELDS, TOUCHPOINT_FIELDS
from cxsim.engine.model import OUTCOME_NAMES, CXModel
from cxsim.core.parameters import Config
from cxsim.core.structure import Structure

#: Headline metrics plotted by :meth:`Result.plot` and printed by the CLI.
HEADLINE = ("csat", "nps", "fcr", "engagement_share", "burnout_share", "churn_rate",
            "active_customers", "revenue")

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
    "churned_after_<outcome>": "customers lost over the whole run whose latest problem ended "
                               "in <outcome>: no_problem, resolved_first, resolved_repeat, "
                               "unresolved",
    "churn_share_after_<outcome>": "of the customers whose latest problem ended in <outcome>, "
                                   "the share who churned",
}


def run(config: Config | Mapping[str, Any] | None = None, *, seed: int = 0,
        interventions: Iterable[Intervention | Mapping[str, Any]] = (),
        structure: Structure | Mapping[str, Any] | None = None, progress: bool = False,
        **parameters: Any) -> Result:
    """Run one scenario with one seed and return its :class:`Result`.

    Args:
        config: a :class:`~cxsim.core.parameters.Config` or nested mapping of parameters.
        seed: seed of the model's random generator (same seed, same results).
        interventions: interventions or their scenario-file tables.
        structure: departments, touchpoints and segments (defaults if omitted).
        progress: show a progress bar.
        **parameters: flat parameter overrides, e.g. ``silo_strength=0.4``.
    """
    model = CXModel(config, interventions=interventions, structure=structure, rng=seed,
                    **parameters)
    model.run(progress=progress)
    return Result(model, seed)


class Result:
    """Outcome of one run: tidy DataFrames, a summary, plots and files.

    Attributes:
        daily: one row per day, one column per metric (see ``docs/metrics.md``).
        departments: one row per (day, department).
        touchpoints: one row per (day, touchpoint).
        teams: one row per (day, team); a team is a manager (or executive) and
            the frontline employees reporting to them (managers lead their own
            team, so an executive's team is the executive alone).
        config: the parameters of the run; ``seed``: its seed.
    """

    def __init__(self, model: CXModel, seed: int):
        self.model = model
        self.config = model.p
        self.seed = seed
        self.burn_in = model.burn_in
        self.daily = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        for col in ("day", "intervention_day", "headcount", "active_customers"):
            self.daily[col] = self.daily[col].astype(int)
        days = np.arange(-1, model.horizon)
        structure = model.structure
        self.departments = _tidy(model.recorder.by_department, days, "department",
                                 structure.department_names, DEPARTMENT_FIELDS, self.burn_in)
        self.touchpoints = _tidy(model.recorder.by_touchpoint, days, "touchpoint",
                                 structure.touchpoint_names, TOUCHPOINT_FIELDS, self.burn_in)
        owners = {t.name: t.owner for t in structure.touchpoints}
        self.touchpoints.insert(3, "owner", self.touchpoints["touchpoint"].map(owners))
        leaders = model.team_leaders
        self.teams = _tidy(model.recorder.by_team, days, "team", leaders.tolist(), TEAM_FIELDS,
                           self.burn_in)
        leader_dept = dict(zip(leaders.tolist(),
                               np.array(structure.department_names)[model.department[leaders]]))
        self.teams.insert(3, "department", self.teams["team"].map(leader_dept))
        self.churn_by_outcome = {
            name: {"customers_now": int(model.outcome_customers[i]),
                   "churned": int(model.churn_by_outcome[i])}
            for i, name in enumerate(OUTCOME_NAMES)
        }

    # ------------------------------------------------------------------ summary

    def window(self, period: str = "final") -> pd.DataFrame:
        """Daily rows of the final window (``final``) or the window ending the warm-up
        (``baseline``), each ``summary_window_days`` long."""
        w = self.config.summary_window_days
        daily = self.daily[self.daily["day"] >= 0]
        if period == "final":
            return daily.iloc[-w:]
        if period == "baseline":
            return daily[daily["day"] < self.burn_in].iloc[-w:]
        raise ValueError(f"period = {period!r} is not allowed: expected 'final' or 'baseline'")

    def summary(self) -> dict[str, float]:
        """Flat mapping of metric name to final value (see :data:`SUMMARY_DOC`).

        Keys prefixed ``baseline_`` give the same pooled survey and service
        metrics over the last window of the warm-up, inside the same run.
        """
        out = _window_summary(self.window("final"))
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
        })
        if self.burn_in > 0:
            for key, value in _window_summary(self.window("baseline")).items():
                out[f"baseline_{key}"] = value
        for name, counts in self.churn_by_outcome.items():
            out[f"churned_after_{name}"] = counts["churned"]
            ever = counts["churned"] + counts["customers_now"]
            out[f"churn_share_after_{name}"] = counts["churned"] / ever if ever else float("nan")
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v)
                for k, v in out.items()}

    # ------------------------------------------------------------------ output

    def plot(self, path: str | Path | None = None, metrics: Iterable[str] = HEADLINE,
             title: str | None = None):
        """Plot metrics over time (daily and 7-day means) and return the matplotlib
        Figure; save it to ``path`` if given."""
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

    def save(self, directory: str | Path, title: str | None = None) -> Path:
        """Write summary.json, config.json, the daily, department, touchpoint and team
        CSVs and headline.png (titled ``title``) into ``directory`` (created if needed)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(self.summary(), indent=2) + "\n")
        (out / "config.json").write_text(json.dumps({
            "seed": self.seed,
            "parameters": self.config.to_nested(),
            "interventions": [iv.to_dict() for iv in self.model.interventions],
            "structure": self.model.structure.to_dict(),
        }, indent=2) + "\n")
        self.daily.to_csv(out / "daily.csv", index=False)
        self.departments.to_csv(out / "departments.csv", index=False)
        self.touchpoints.to_csv(out / "touchpoints.csv", index=False)
        self.teams.to_csv(out / "teams.csv", index=False)
        self.plot(out / "headline.png", title=title)
        return out


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
