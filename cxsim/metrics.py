"""Daily metrics: overall (through Mesa's DataCollector), per department, per
touchpoint and per team (numpy buffers turned into tidy DataFrames).

Definitions (also in ``docs/metrics.md``):

* ``csat``: top-two-box share (answers 4 or 5 on 1-5) of today's survey answers.
* ``nps``: % promoters (9-10) minus % detractors (0-6) of today's answers, in -100..100.
* ``fcr``: share of problems contacted about for the first time today that were
  resolved in that contact.
* ``contacts_per_resolution`` and ``time_to_resolution`` (days): means over
  problems resolved today.
* ``quality_std``: standard deviation of today's interaction quality;
  ``touchpoint_spread`` / ``department_spread``: standard deviation of mean
  quality across touchpoints / serving departments; ``consistency`` =
  1 - 2 x ``quality_std`` (1 = every interaction alike).
* ``engagement_share``: share of filled positions with engagement at or above
  ``culture.engaged_threshold``; ``burnout_share``: strain at or above
  ``workload.burnout_threshold``.
* ``turnover_rate`` and ``churn_rate``: today's leavers (churned customers) over
  headcount (active customers), annualised (x 365).
* ``training_completion``: share of filled positions trained in the last 90 days.
* ``revenue``: today's revenue from active customers (currency per day).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from cxsim.model import CXModel

DAILY_METRICS: tuple[str, ...] = (
    "day", "intervention_day",
    "csat", "nps", "fcr", "contacts_per_resolution", "time_to_resolution",
    "quality_mean", "quality_std", "consistency", "touchpoint_spread", "department_spread",
    "engagement_mean", "engagement_share", "burnout_share", "strain_mean", "demand_mean",
    "skill_mean", "empowerment_mean", "centricity_mean", "training_completion",
    "headcount", "quits", "hires", "turnover_rate",
    "active_customers", "acquisitions", "churned", "churn_rate",
    "promoter_share", "detractor_share",
    "revenue", "intervention_cost", "hiring_cost",
    "contacts", "responses", "csat_top2", "nps_promoters", "nps_detractors",
    "problem_contacts", "first_contacts", "resolved_first", "resolved_repeat", "unresolved",
    "problems_opened", "pain_points", "pain_points_missed", "defect_rate_mean",
    "silo_effective", "network_ties",
)

DEPARTMENT_FIELDS = (
    "headcount", "engagement_mean", "engagement_share", "burnout_share", "strain_mean",
    "skill_mean", "empowerment_mean", "centricity_mean", "quits", "contacts", "quality_mean",
    "responses", "csat", "first_contacts", "fcr", "pain_points_caused", "pain_points_received",
    "load_mean",
)
TOUCHPOINT_FIELDS = (
    "contacts", "quality_mean", "quality_std", "responses", "csat", "nps", "problems_opened",
    "first_contacts", "fcr", "defect_rate",
)
TEAM_FIELDS = ("headcount", "engagement_mean", "strain_mean", "burnout_share", "contacts",
               "quality_mean")


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _ratios(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


class Recorder:
    """Collects a day's tallies from the model's phases and turns them into metrics."""

    def __init__(self, model: CXModel):
        days = model.horizon + 1
        self.n_departments = model.n_departments
        self.n_touchpoints = model.n_touchpoints
        self.n_teams = model.team_leaders.size
        self.by_department = np.full((days, self.n_departments, len(DEPARTMENT_FIELDS)), np.nan,
                                     dtype=np.float32)
        self.by_touchpoint = np.full((days, self.n_touchpoints, len(TOUCHPOINT_FIELDS)), np.nan,
                                     dtype=np.float32)
        self.by_team = np.full((days, self.n_teams, len(TEAM_FIELDS)), np.nan, dtype=np.float32)
        self.current: dict[str, float] = {}
        self.start_day()

    def start_day(self) -> None:
        nt, nd = self.n_touchpoints, self.n_departments
        # contacts, quality, quality^2, responses, top2, promoters, detractors, problems opened
        self.tp = np.zeros((8, nt))
        self.tp_first = np.zeros((2, nt))  # first contacts, resolved at first contact
        self.dept = np.zeros((6, nd))  # contacts, q, responses, top2, first, first resolved
        self.team = np.zeros((2, self.n_teams))  # contacts, q
        self.pain = np.zeros((2, nt))  # pain points by causing touchpoint, received
        # resolved first, resolved after repeat, unresolved, contacts, days, problem contacts
        self.resolution = np.zeros(6)
        self.quits_by_department = np.zeros(nd)

    @property
    def pain_received_today(self) -> np.ndarray:
        return self.pain[1]

    def tally_interactions(self, *, touchpoint, department, team, quality, answered, csat, nps,
                           problem, first_contact, resolved, revealed, pain_tp, pain_received,
                           contacts_so_far, resolution_days, abandoned) -> None:
        nt, nd = self.n_touchpoints, self.n_departments
        top2 = csat >= 4
        tp_answered = touchpoint[answered]
        dept_answered = department[answered]
        self.tp += np.stack([
            np.bincount(touchpoint, minlength=nt),
            np.bincount(touchpoint, weights=quality, minlength=nt),
            np.bincount(touchpoint, weights=quality * quality, minlength=nt),
            np.bincount(tp_answered, minlength=nt),
            np.bincount(tp_answered, weights=top2, minlength=nt),
            np.bincount(tp_answered, weights=nps >= 9, minlength=nt),
            np.bincount(tp_answered, weights=nps <= 6, minlength=nt),
            np.bincount(touchpoint, weights=revealed, minlength=nt),
        ])
        resolved_first = first_contact & resolved
        self.tp_first += np.stack([
            np.bincount(touchpoint, weights=first_contact, minlength=nt),
            np.bincount(touchpoint, weights=resolved_first, minlength=nt),
        ])
        self.dept += np.stack([
            np.bincount(department, minlength=nd),
            np.bincount(department, weights=quality, minlength=nd),
            np.bincount(dept_answered, minlength=nd),
            np.bincount(dept_answered, weights=top2, minlength=nd),
            np.bincount(department, weights=first_contact, minlength=nd),
            np.bincount(department, weights=resolved_first, minlength=nd),
        ])
        staffed = team >= 0
        self.team += np.stack([
            np.bincount(team[staffed], minlength=self.n_teams),
            np.bincount(team[staffed], weights=quality[staffed], minlength=self.n_teams),
        ])
        self.pain += np.stack([
            np.bincount(pain_tp, minlength=nt),
            np.bincount(pain_tp, weights=pain_received, minlength=nt),
        ])
        repeat = resolved & ~first_contact
        self.resolution += np.array([
            resolved_first.sum(), repeat.sum(), abandoned.sum(),
            contacts_so_far[resolved].sum(), resolution_days[resolved].sum(), problem.sum(),
        ], dtype=float)

    def tally_quits(self, departments: np.ndarray) -> None:
        """Record today's leavers by their departments."""
        self.quits_by_department = np.bincount(departments,
                                               minlength=self.n_departments).astype(float)

    def measure(self, model: CXModel) -> None:
        """Turn today's tallies and the model's state into today's metrics."""
        p = model.p
        day = model.day
        active = model.active
        headcount = int(active.sum())
        engaged = (model.engagement >= p.engaged_threshold) & active
        burnt = (model.strain >= p.burnout_threshold) & active
        trained = (model.day - model.last_trained <= 90) & active
        contacts, q_sum, q_sq, responses, top2, promoters, detractors, opened = self.tp.sum(axis=1)
        first, first_resolved = self.tp_first.sum(axis=1)
        resolved_first, resolved_repeat, unresolved, res_contacts, res_days, problem_contacts = (
            self.resolution)
        resolved = resolved_first + resolved_repeat
        quality_mean = _ratio(q_sum, contacts)
        quality_std = (float(np.sqrt(max(q_sq / contacts - quality_mean ** 2, 0.0)))
                       if contacts else float("nan"))
        tp_mean = _ratios(self.tp[1], self.tp[0])
        dept_mean = _ratios(self.dept[1], self.dept[0])

        def mean_of(values: np.ndarray) -> float:
            return float(values[active].mean()) if headcount else float("nan")

        self.current = {
            "day": day,
            "intervention_day": day - model.burn_in,
            "csat": _ratio(top2, responses),
            "nps": 100.0 * _ratio(promoters - detractors, responses),
            "fcr": _ratio(first_resolved, first),
            "contacts_per_resolution": _ratio(res_contacts, resolved),
            "time_to_resolution": _ratio(res_days, resolved),
            "quality_mean": quality_mean,
            "quality_std": quality_std,
            "consistency": 1.0 - 2.0 * quality_std if contacts else float("nan"),
            "touchpoint_spread": _nanstd(tp_mean),
            "department_spread": _nanstd(dept_mean),
            "engagement_mean": mean_of(model.engagement),
            "engagement_share": _ratio(engaged.sum(), headcount),
            "burnout_share": _ratio(burnt.sum(), headcount),
            "strain_mean": mean_of(model.strain),
            "demand_mean": model.today["demand_mean"],
            "skill_mean": mean_of(model.skill),
            "empowerment_mean": mean_of(model.empowerment),
            "centricity_mean": mean_of(model.centricity),
            "training_completion": _ratio(trained.sum(), headcount),
            "headcount": headcount,
            "quits": model.today["quits"],
            "hires": model.today["hires"],
            "turnover_rate": 365.0 * _ratio(model.today["quits"], headcount),
            "active_customers": model.active_customers,
            "acquisitions": model.today["acquisitions"],
            "churned": model.today["churned"],
            "churn_rate": 365.0 * _ratio(model.today["churned"],
                                         model.active_customers + model.today["churned"]),
            "promoter_share": _ratio(model.promoters, model.active_customers),
            "detractor_share": _ratio(model.detractors, model.active_customers),
            "revenue": model.revenue_rate,
            "intervention_cost": model.today["intervention_cost"],
            "hiring_cost": model.today["hiring_cost"],
            "contacts": contacts,
            "responses": responses,
            "csat_top2": top2,
            "nps_promoters": promoters,
            "nps_detractors": detractors,
            "problem_contacts": problem_contacts,
            "first_contacts": first,
            "resolved_first": resolved_first,
            "resolved_repeat": resolved_repeat,
            "unresolved": unresolved,
            "problems_opened": opened,
            "pain_points": self.pain[0].sum(),
            "pain_points_missed": self.pain[0].sum() - self.pain[1].sum(),
            "defect_rate_mean": float(model.defect_rate[model.tp_defect_multiplier > 0].mean()),
            "silo_effective": model.silo_effective,
            "network_ties": model.network_ties,
        }
        self._record_departments(model, day, engaged, burnt)
        self._record_touchpoints(model, day, tp_mean)
        self._record_teams(model, day, burnt)

    def _record_departments(self, model: CXModel, day: int, engaged, burnt) -> None:
        nd = self.n_departments
        dept = model.department[model.active]

        def mean(values: np.ndarray) -> np.ndarray:
            return _ratios(np.bincount(dept, weights=values[model.active], minlength=nd),
                           headcount)

        headcount = np.bincount(dept, minlength=nd).astype(float)
        cause = model.tp_owner
        self.by_department[day] = np.stack([
            headcount,
            mean(model.engagement),
            mean(engaged.astype(float)),
            mean(burnt.astype(float)),
            mean(model.strain),
            mean(model.skill),
            mean(model.empowerment),
            mean(model.centricity),
            self.quits_by_department,
            self.dept[0],
            _ratios(self.dept[1], self.dept[0]),
            self.dept[2],
            _ratios(self.dept[3], self.dept[2]),
            self.dept[4],
            _ratios(self.dept[5], self.dept[4]),
            np.bincount(cause, weights=self.pain[0], minlength=nd),
            np.bincount(cause, weights=self.pain[1], minlength=nd),
            mean(model.load),
        ], axis=1)

    def _record_touchpoints(self, model: CXModel, day: int, tp_mean: np.ndarray) -> None:
        contacts = self.tp[0]
        variance = _ratios(self.tp[2], contacts) - tp_mean ** 2
        self.by_touchpoint[day] = np.stack([
            contacts,
            tp_mean,
            np.sqrt(np.maximum(variance, 0.0)),
            self.tp[3],
            _ratios(self.tp[4], self.tp[3]),
            100.0 * _ratios(self.tp[5] - self.tp[6], self.tp[3]),
            self.tp[7],
            self.tp_first[0],
            _ratios(self.tp_first[1], self.tp_first[0]),
            model.defect_rate,
        ], axis=1)

    def _record_teams(self, model: CXModel, day: int, burnt: np.ndarray) -> None:
        nteam = self.n_teams
        team = model.team[model.active]

        def mean(values: np.ndarray) -> np.ndarray:
            return _ratios(np.bincount(team, weights=values[model.active], minlength=nteam),
                           headcount)

        headcount = np.bincount(team, minlength=nteam).astype(float)
        self.by_team[day] = np.stack([
            headcount,
            mean(model.engagement),
            mean(model.strain),
            mean(burnt.astype(float)),
            self.team[0],
            _ratios(self.team[1], self.team[0]),
        ], axis=1)


def _nanstd(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.std()) if finite.size > 1 else float("nan")
