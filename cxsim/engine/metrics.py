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

Rows are labelled with the simulated day (``day`` 0 is the first day of the
warm-up; ``intervention_day`` 0 is the first day of the intervention period, the
day an intervention with ``start = 0`` first acts). The row with ``day`` -1 is
the state before the first step.
* ``revenue``: today's revenue from active customers (currency per day).

Outcome cohorts (followed forward, see :meth:`Recorder.cohorts`): every contact of
the intervention period joins the cohort of its outcome (:data:`CONTACT_OUTCOMES`), and
is followed for :data:`COHORT_HORIZON_DAYS` days: did its customer churn on the day of
the contact or within the horizon? Only contacts whose follow-up ends by the last
simulated day are counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core.enums import CustomerStatus, Level
from cxsim.engine.compiled import jit, numpy_sum

if TYPE_CHECKING:
    from cxsim.engine.protocol import MeasuredModel

DAILY_METRICS: tuple[str, ...] = (
    "day", "intervention_day",
    "csat", "nps", "fcr", "contacts_per_resolution", "time_to_resolution",
    "wait_mean", "unreached_share",
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

#: Service metrics recorded for every touchpoint, department (serving) and team (serving).
SERVICE_FIELDS = ("contacts", "quality_mean", "responses", "csat", "nps", "first_contacts",
                  "fcr")
#: Workforce metrics recorded for every department and team.
WORKFORCE_FIELDS = ("headcount", "engagement_mean", "engagement_share", "burnout_share",
                    "strain_mean", "skill_mean", "empowerment_mean", "centricity_mean",
                    "training_completion")
DEPARTMENT_FIELDS = WORKFORCE_FIELDS + ("quits",) + SERVICE_FIELDS + (
    "pain_points_caused", "pain_points_received", "load_mean")
TOUCHPOINT_FIELDS = SERVICE_FIELDS + ("quality_std", "problems_opened", "defect_rate")
TEAM_FIELDS = WORKFORCE_FIELDS + SERVICE_FIELDS


#: Outcome of one contact (cohort codes 0-4): no problem, the problem resolved at its
#: first contact, resolved at a later contact, still open after the contact (the customer
#: will come back), given up unresolved (after ``service.max_contacts`` contacts).
CONTACT_OUTCOMES: tuple[str, ...] = ("no_problem", "resolved_first", "resolved_repeat",
                                     "open", "unresolved")
#: Days a contact is followed forward in the outcome cohorts.
COHORT_HORIZON_DAYS = 90


def contact_outcomes(problem: np.ndarray, first_contact: np.ndarray, resolved: np.ndarray,
                     abandoned: np.ndarray) -> np.ndarray:
    """The :data:`CONTACT_OUTCOMES` code of each contact (int8; see
    :func:`contact_outcome`)."""
    return _contact_outcomes(*(np.asarray(x, dtype=bool).ravel()
                               for x in (problem, first_contact, resolved, abandoned)))


@jit
def _contact_outcomes(problem, first_contact, resolved, abandoned):
    code = np.empty(problem.size, dtype=np.int8)
    for i in range(problem.size):
        code[i] = contact_outcome(problem[i], first_contact[i], resolved[i], abandoned[i])
    return code


@jit
def contact_outcome(problem, first_contact, resolved, abandoned):
    """The :data:`CONTACT_OUTCOMES` code of one contact: the first that applies, in this
    order: no problem, resolved at the first contact, resolved later, given up
    unresolved, else still open (compiled)."""
    if not problem:
        return 0
    if resolved:
        return 1 if first_contact else 2
    return 4 if abandoned else 3


def new_day_counters() -> dict[str, float]:
    """The counters each day's phases fill in (``model.today``), at zero."""
    return {"intervention_cost": 0.0, "acquisitions": 0, "churned": 0, "quits": 0,
            "hires": 0, "hiring_cost": 0.0, "demand_mean": 0.0, "unreached": 0,
            "waited": 0.0}


#: Rows of the per-group daily tallies (touchpoint, department, team).
GROUP_TALLIES = ("contacts", "quality", "quality_sq", "responses", "top2", "promoters",
                 "detractors", "problems_opened", "first_contacts", "first_resolved")
CONTACTS, QUALITY, QUALITY_SQ, RESPONSES, TOP2, PROMOTERS, DETRACTORS, OPENED, FIRST, \
    FIRST_RESOLVED = range(len(GROUP_TALLIES))


def _group_sums(group: np.ndarray, columns: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum each row of ``columns`` (rows x items) by ``group`` (items): rows x n_groups.

    One bincount over all rows at once: row ``r``'s items go to bins
    ``r * n_groups + group``."""
    rows = columns.shape[0]
    bins = (np.arange(rows)[:, None] * n_groups + group[None, :]).ravel()
    return np.bincount(bins, weights=columns.ravel(), minlength=rows * n_groups).reshape(
        rows, n_groups)


@jit
def contact_tallies(touchpoint, department, team, quality, answered, csat, nps, problem,
                    first_contact, resolved, abandoned, revealed, contacts_so_far,
                    resolution_days, pain_tp, pain_received, n_touchpoints, n_departments,
                    n_teams):
    """A batch of contacts summed (compiled): the rows of :data:`GROUP_TALLIES` by
    touchpoint, serving department and serving team (``n_teams`` 0: not by team; ``team``
    -1: the digital channel), the pain points by causing touchpoint (found, received)
    and the resolution tallies (resolved first, resolved after repeats, unresolved,
    contacts and days to resolution, problem contacts). ``csat`` and ``nps`` hold the
    answers of the contacts where ``answered`` is true. Sums run contact by contact, in
    the order numpy's ``bincount`` sums."""
    rows = len(GROUP_TALLIES)
    by_touchpoint = np.zeros((rows, n_touchpoints))
    by_department = np.zeros((rows, n_departments))
    by_team = np.zeros((rows, n_teams))
    values = np.zeros(rows)
    answer = 0
    for i in range(quality.size):
        values[CONTACTS] = 1.0
        values[QUALITY] = quality[i]
        values[QUALITY_SQ] = quality[i] * quality[i]
        values[RESPONSES] = answered[i]
        values[TOP2] = values[PROMOTERS] = values[DETRACTORS] = 0.0
        if answered[i]:
            values[TOP2] = csat[answer] >= 4
            values[PROMOTERS] = nps[answer] >= 9
            values[DETRACTORS] = nps[answer] <= 6
            answer += 1
        values[OPENED] = revealed[i]
        values[FIRST] = first_contact[i]
        values[FIRST_RESOLVED] = first_contact[i] and resolved[i]
        for row in range(rows):
            by_touchpoint[row, touchpoint[i]] += values[row]
            by_department[row, department[i]] += values[row]
            if n_teams and team[i] >= 0:
                by_team[row, team[i]] += values[row]
    pain = np.zeros((2, n_touchpoints))
    for i in range(pain_tp.size):
        pain[0, pain_tp[i]] += 1.0
        pain[1, pain_tp[i]] += pain_received[i]
    resolution = np.zeros(6)
    for i in range(quality.size):
        if resolved[i]:
            resolution[0 if first_contact[i] else 1] += 1.0
            resolution[3] += contacts_so_far[i]
            resolution[4] += resolution_days[i]
        resolution[2] += abandoned[i]
        resolution[5] += problem[i]
    return by_touchpoint, by_department, by_team, pain, resolution


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _ratios(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


@jit
def day_figures(active, engagement, strain, skill, empowerment, centricity, last_trained, day,
                engaged_threshold, burnout_threshold, tp, dept, pain, defect_rate,
                defect_rows):
    """The figures of a day's metrics (compiled; every sum as numpy sums it, see
    :func:`~cxsim.engine.compiled.numpy_sum`): the filled positions and which of them are
    engaged, burnt out and trained in the last 90 days; the filled positions' mean
    engagement, strain, skill, empowerment and centricity; the day's service tallies
    summed over touchpoints (the rows of :data:`GROUP_TALLIES`); each touchpoint's mean
    quality; the spread of the touchpoints' and of the departments' mean quality; the
    pain points (found, received); and the mean defect rate of the touchpoints that have
    one."""
    filled = np.flatnonzero(active)
    engaged = engagement[filled] >= engaged_threshold
    burnt = strain[filled] >= burnout_threshold
    trained = day - last_trained[filled] < 90
    means = np.full(5, np.nan)
    if filled.size:
        means[0] = numpy_sum(engagement[filled]) / filled.size
        means[1] = numpy_sum(strain[filled]) / filled.size
        means[2] = numpy_sum(skill[filled]) / filled.size
        means[3] = numpy_sum(empowerment[filled]) / filled.size
        means[4] = numpy_sum(centricity[filled]) / filled.size
    service = np.empty(tp.shape[0])
    for row in range(tp.shape[0]):
        service[row] = numpy_sum(tp[row])
    tp_mean = quality_means(tp)
    spreads = np.array([finite_std(tp_mean), finite_std(quality_means(dept))])
    pains = np.array([numpy_sum(pain[0]), numpy_sum(pain[1])])
    defects = defect_rate[defect_rows]
    return (filled, engaged, burnt, trained, means, service, tp_mean, spreads, pains,
            numpy_sum(defects) / defects.size)


@jit
def quality_means(tallies):
    """Mean quality of each group of ``tallies`` (rows of :data:`GROUP_TALLIES`; NaN for a
    group with no contacts)."""
    means = np.full(tallies.shape[1], np.nan)
    for group in range(tallies.shape[1]):
        if tallies[CONTACTS, group] > 0:
            means[group] = tallies[QUALITY, group] / tallies[CONTACTS, group]
    return means


@jit
def finite_std(values):
    """The standard deviation of the finite ``values`` (NaN for fewer than two), as
    ``numpy.std`` computes it."""
    finite = values[np.isfinite(values)]
    n = finite.size
    if n <= 1:
        return np.nan
    deviation = finite - numpy_sum(finite) / n
    deviation *= deviation
    return np.sqrt(numpy_sum(deviation) / n)


class Recorder:
    """Collects a day's tallies from the model's phases and turns them into metrics."""

    def __init__(self, model: MeasuredModel):
        days = model.horizon + 1
        self.n_departments = model.n_departments
        self.n_touchpoints = model.n_touchpoints
        self.n_teams = model.team_leaders.size
        self.by_department = np.full((days, self.n_departments, len(DEPARTMENT_FIELDS)), np.nan,
                                     dtype=np.float32)
        self.by_touchpoint = np.full((days, self.n_touchpoints, len(TOUCHPOINT_FIELDS)), np.nan,
                                     dtype=np.float32)
        self.by_team = np.full((days, self.n_teams, len(TEAM_FIELDS)), np.nan, dtype=np.float32)
        #: the per-group frames still recorded (see :meth:`record_only`; none after
        #: :meth:`summary_only`)
        self.frames: frozenset[str] = frozenset(("departments", "touchpoints", "teams"))
        #: touchpoints with a defect rate (found at the first measure)
        self._defect_rows: np.ndarray | None = None
        self.current: dict[str, float] = {}
        #: the simulated day whose contacts are being tallied
        self.today = model.day
        #: contacts are kept for the cohorts from this day on (the intervention period)
        self.cohort_start = model.burn_in
        #: per tally: (day, customer keys, outcome codes) and (day, keys of churned customers)
        self._contacts: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._churns: list[tuple[int, np.ndarray]] = []
        self.start_day()

    def start_day(self) -> None:
        nt, nd = self.n_touchpoints, self.n_departments
        # rows of GROUP_TALLIES, by touchpoint, serving department and serving team
        self.tp = np.zeros((len(GROUP_TALLIES), nt))
        self.dept = np.zeros((len(GROUP_TALLIES), nd))
        self.team = np.zeros((len(GROUP_TALLIES), self.n_teams))
        self.pain = np.zeros((2, nt))  # pain points by causing touchpoint, received
        # resolved first, resolved after repeat, unresolved, contacts, days, problem contacts
        self.resolution = np.zeros(6)
        self.quits_by_department = np.zeros(nd)

    def summary_only(self) -> None:
        """From now on record only what a run's summary needs: every daily metric (the
        same values as full recording, so the summary is identical) and the outcome
        cohorts, but no per-department, per-touchpoint or per-team rows (their buffers
        are dropped: a Result of this model can record no frames beyond ``daily``). The
        responsibility map's coalition runs use it: they need only their summaries."""
        self.record_only(())

    def record_only(self, frames) -> None:
        """From now on record, beyond every daily metric and the outcome cohorts, only the
        per-group ``frames`` named (``departments``, ``touchpoints``, ``teams``); the others'
        buffers are dropped, and the daily metrics and summary stay identical.
        Comparisons record only the frames their specs keep and their ``measure`` reads."""
        self.frames = self.frames & frozenset(frames)
        if "departments" not in self.frames:
            self.by_department = None
        if "touchpoints" not in self.frames:
            self.by_touchpoint = None
        if "teams" not in self.frames:
            self.by_team = None

    @property
    def pain_received_today(self) -> np.ndarray:
        return self.pain[1]

    def tally_interactions(self, *, touchpoint, department, team, quality, answered, csat, nps,
                           problem, first_contact, resolved, revealed, pain_tp, pain_received,
                           contacts_so_far, resolution_days, abandoned,
                           customers: np.ndarray | None = None,
                           churned: np.ndarray | None = None,
                           outcomes: np.ndarray | None = None) -> None:
        """Add a batch of interactions (one entry per contact) to today's tallies.

        ``team`` is -1 for contacts served by the digital channel; ``csat`` and
        ``nps`` hold the answers of the contacts where ``answered`` is true.
        ``customers`` (an integer key per customer, stable over the run) and ``churned``
        (the contact ended in churn) feed the outcome cohorts; without them the batch is
        left out of the cohorts. ``outcomes``: the contacts' :func:`contact_outcomes` if
        the caller has them already.
        """
        if customers is not None and churned is not None and self.today >= self.cohort_start:
            keys = np.asarray(customers, dtype=np.int32)
            if outcomes is None:
                outcomes = contact_outcomes(problem, first_contact, resolved, abandoned)
            self._contacts.append((self.today, keys, outcomes))
            self._churns.append((self.today, keys[np.asarray(churned, dtype=bool)]))
        tp, dept, team, pain, resolution = contact_tallies(
            touchpoint, department, team, quality, answered, csat, nps, problem,
            first_contact, resolved, abandoned, revealed, contacts_so_far, resolution_days,
            pain_tp, pain_received, self.n_touchpoints, self.n_departments,
            self.n_teams if self.by_team is not None else 0)
        self.tp += tp
        self.dept += dept
        if self.by_team is not None:
            self.team += team
        self.pain += pain
        self.resolution += resolution

    def cohorts(self, first_day: int, last_day: int,
                horizon: int = COHORT_HORIZON_DAYS) -> dict[str, tuple[int, int]]:
        """The outcome cohorts of the contacts tallied so far (see :func:`follow_cohorts`);
        contacts are kept from the first day of the intervention period on."""
        def joined(parts: list[np.ndarray], dtype) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        def days(batches: list[tuple]) -> np.ndarray:  # each batch's day, once per entry
            return np.repeat(np.array([b[0] for b in batches], dtype=np.int64),
                             [b[1].size for b in batches])

        contact_day = days(self._contacts)
        contact_key = joined([k for _, k, _ in self._contacts], np.int64)
        outcome = joined([o for _, _, o in self._contacts], np.int64)
        churn_day = days(self._churns)
        churn_key = joined([k for _, k in self._churns], np.int64)
        return follow_cohorts(contact_day, contact_key, outcome, churn_day, churn_key,
                              first_day, last_day, horizon)

    def tally_quits(self, departments: np.ndarray) -> None:
        """Record today's leavers by their departments."""
        self.quits_by_department = np.bincount(departments,
                                               minlength=self.n_departments).astype(float)

    def measure(self, model: MeasuredModel) -> None:
        """Turn the day just simulated into its metrics (called after ``model.day`` has
        advanced). Rows are labelled with the simulated day: 0 is the first day, and
        the state before any step (collected when the model is built) is day -1."""
        p = model.p
        row = model.day
        day = row - 1
        self.today = model.day
        active = model.active
        engagement, strain = model.engagement, model.strain
        if self._defect_rows is None:
            self._defect_rows = np.flatnonzero(model.tp_defect_multiplier > 0)
        (filled, engaged_filled, burnt_filled, trained_filled, means, service, tp_mean,
         spreads, pains, defect_rate_mean) = day_figures(
            active, engagement, strain, model.skill, model.empowerment, model.centricity,
            model.last_trained, day, p.engaged_threshold, p.burnout_threshold, self.tp,
            self.dept, self.pain, model.defect_rate, self._defect_rows)
        headcount = filled.size
        (contacts, q_sum, q_sq, responses, top2, promoters, detractors, opened, first,
         first_resolved) = service
        resolved_first, resolved_repeat, unresolved, res_contacts, res_days, problem_contacts = (
            self.resolution)
        resolved = resolved_first + resolved_repeat
        quality_mean = _ratio(q_sum, contacts)
        quality_std = (float(np.sqrt(max(q_sq / contacts - quality_mean ** 2, 0.0)))
                       if contacts else float("nan"))
        engagement_mean, strain_mean, skill_mean, empowerment_mean, centricity_mean = (
            (float(m) if headcount else float("nan")) for m in means)

        self.current = {
            "day": day,
            "intervention_day": day - model.burn_in,
            "csat": _ratio(top2, responses),
            "nps": 100.0 * _ratio(promoters - detractors, responses),
            "fcr": _ratio(first_resolved, first),
            "contacts_per_resolution": _ratio(res_contacts, resolved),
            "time_to_resolution": _ratio(res_days, resolved),
            "wait_mean": _ratio(model.today["waited"], contacts),
            "unreached_share": _ratio(model.today["unreached"], contacts),
            "quality_mean": quality_mean,
            "quality_std": quality_std,
            "consistency": 1.0 - 2.0 * quality_std if contacts else float("nan"),
            "touchpoint_spread": float(spreads[0]),
            "department_spread": float(spreads[1]),
            "engagement_mean": engagement_mean,
            "engagement_share": _ratio(np.count_nonzero(engaged_filled), headcount),
            "burnout_share": _ratio(np.count_nonzero(burnt_filled), headcount),
            "strain_mean": strain_mean,
            "demand_mean": model.today["demand_mean"],
            "skill_mean": skill_mean,
            "empowerment_mean": empowerment_mean,
            "centricity_mean": centricity_mean,
            "training_completion": _ratio(np.count_nonzero(trained_filled), headcount),
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
            "pain_points": pains[0],
            "pain_points_missed": pains[0] - pains[1],
            "defect_rate_mean": defect_rate_mean,
            "silo_effective": model.silo_effective,
            "network_ties": model.network_ties,
        }
        if not self.frames:
            return  # summary_only: no per-group rows
        engaged, burnt, trained = (np.zeros(active.shape, dtype=bool) for _ in range(3))
        engaged[filled], burnt[filled], trained[filled] = (engaged_filled, burnt_filled,
                                                           trained_filled)
        workforce = [engagement, engaged, burnt, strain, model.skill,
                     model.empowerment, model.centricity, trained]
        cause = model.tp_owner
        if self.by_department is not None:
            self.by_department[row] = np.column_stack(
                _workforce_columns(model.department, active, workforce, self.n_departments)
                + [self.quits_by_department] + _service_columns(self.dept)
                + [np.bincount(cause, weights=self.pain[0], minlength=self.n_departments),
                   np.bincount(cause, weights=self.pain[1], minlength=self.n_departments),
                   _group_means(model.department, active, [model.load],
                                self.n_departments)[1][0]])
        if self.by_touchpoint is not None:
            self.by_touchpoint[row] = np.column_stack(_service_columns(self.tp) + [
                np.sqrt(np.maximum(_ratios(self.tp[QUALITY_SQ], self.tp[CONTACTS])
                                   - tp_mean ** 2, 0.0)),
                self.tp[OPENED], model.defect_rate])
        if self.by_team is not None:
            self.by_team[row] = np.column_stack(
                _workforce_columns(model.team, active, workforce, self.n_teams)
                + _service_columns(self.team))


def follow_cohorts(contact_day: np.ndarray, contact_key: np.ndarray, outcome: np.ndarray,
                   churn_day: np.ndarray, churn_key: np.ndarray, first_day: int,
                   last_day: int, horizon: int = COHORT_HORIZON_DAYS) -> dict[str, tuple[int, int]]:
    """Outcome cohorts followed forward: for each of :data:`CONTACT_OUTCOMES`, the number of
    contacts made from ``first_day`` whose follow-up of ``horizon`` days ends by
    ``last_day`` (day ``d`` to ``d + horizon - 1``), and how many of them belong to a customer
    who churned within it (on the contact's day or in the ``horizon - 1`` days after).

    A customer with several contacts counts in each of their cohorts. Vectorised: the
    churn day of each contact's customer is found by a sorted search of the churn keys.
    """
    totals, lost = cohort_counts(np.asarray(contact_day, dtype=np.int64),
                                 np.asarray(contact_key, dtype=np.int64),
                                 np.asarray(outcome, dtype=np.int64),
                                 np.asarray(churn_day, dtype=np.int64),
                                 np.asarray(churn_key, dtype=np.int64), first_day, last_day,
                                 horizon, len(CONTACT_OUTCOMES))
    return {name: (int(totals[i]), int(lost[i])) for i, name in enumerate(CONTACT_OUTCOMES)}


@jit
def cohort_counts(contact_day, contact_key, outcome, churn_day, churn_key, first_day,
                  last_day, horizon, n_outcomes):
    """:func:`follow_cohorts`' counts by outcome code: contacts followed, and those whose
    customer's first churn (``churn_key``'s earliest ``churn_day``) falls on the contact's
    day or in the ``horizon - 1`` days after (compiled)."""
    size = 1 + max(contact_key.max() if contact_key.size else 0,
                   churn_key.max() if churn_key.size else 0)
    never = np.iinfo(np.int64).max
    first_churn = np.full(size, never, dtype=np.int64)
    for i in range(churn_key.size):  # the earliest churn of each key
        if churn_day[i] < first_churn[churn_key[i]]:
            first_churn[churn_key[i]] = churn_day[i]
    totals = np.zeros(n_outcomes, dtype=np.int64)
    lost = np.zeros(n_outcomes, dtype=np.int64)
    for i in range(contact_day.size):
        day = contact_day[i]
        if day >= first_day and day + horizon - 1 <= last_day:
            totals[outcome[i]] += 1
            left_on = first_churn[contact_key[i]]
            if left_on >= day and left_on - day < horizon:
                lost[outcome[i]] += 1
    return totals, lost


def _group_means(group: np.ndarray, active: np.ndarray, values: list[np.ndarray],
                 n_groups: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Head-count of filled positions in each group, and the mean of each of ``values``
    over them."""
    g = group[active]
    headcount = np.bincount(g, minlength=n_groups).astype(float)
    sums = _group_sums(g, np.stack([v[active] for v in values]).astype(float), n_groups)
    return headcount, list(_ratios(sums, np.broadcast_to(headcount, sums.shape)))


def _workforce_columns(group: np.ndarray, active: np.ndarray, values: list[np.ndarray],
                       n_groups: int) -> list[np.ndarray]:
    """Columns of WORKFORCE_FIELDS: head-count, then the mean of each of ``values``."""
    headcount, means = _group_means(group, active, values, n_groups)
    return [headcount] + means


def _service_columns(tallies: np.ndarray) -> list[np.ndarray]:
    """Columns of SERVICE_FIELDS from a GROUP_TALLIES array."""
    quality, csat, nps, fcr = _ratios(
        np.stack([tallies[QUALITY], tallies[TOP2], tallies[PROMOTERS] - tallies[DETRACTORS],
                  tallies[FIRST_RESOLVED]]),
        tallies[[CONTACTS, RESPONSES, RESPONSES, FIRST]])
    return [tallies[CONTACTS], quality, tallies[RESPONSES], csat, 100.0 * nps, tallies[FIRST],
            fcr]


# --- business units ------------------------------------------------------------------

#: Loyalty at and above which a customer who would recommend is an engaged customer.
ENGAGED_CUSTOMER_LOYALTY = 0.7


def customer_engaged(satisfaction: np.ndarray, loyalty: np.ndarray) -> np.ndarray:
    """Engaged customers: attached (they would recommend: satisfaction at or above the
    promoter line, an NPS answer of 9-10 expected) and loyal (loyalty at or above
    :data:`ENGAGED_CUSTOMER_LOYALTY`: they intend to stay and buy more). Gallup's "fully
    engaged" customer is both emotionally attached and rationally loyal."""
    return (satisfaction >= dyn.PROMOTER_SATISFACTION) & (loyalty >= ENGAGED_CUSTOMER_LOYALTY)


def business_units(model) -> dict[str, np.ndarray]:
    """Today's state of each business unit of a :class:`~cxsim.engine.model.CXModel`
    (arrays indexed by unit): ``employee_engagement`` (mean engagement of its filled
    manager and frontline positions), ``engaged_employees`` (their share at or above the
    engaged threshold), ``customers`` (active), ``engaged_customers`` (share of them
    engaged, :func:`customer_engaged`) and ``revenue_per_day``."""
    units = model.n_units
    staff = model.active & (model.level != Level.EXECUTIVE)
    heads = np.bincount(model.unit[staff], minlength=units).astype(float)
    engaged = staff & (model.engagement >= model.p.engaged_threshold)
    active = np.flatnonzero(model.c_status == CustomerStatus.ACTIVE)
    unit = model.c_unit[active]
    customers = np.bincount(unit, minlength=units).astype(float)
    engaged_customers = customer_engaged(model.c_satisfaction[active], model.c_loyalty[active])

    def per(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.divide(values, counts, out=np.full(units, np.nan), where=counts > 0)

    return {
        "employee_engagement": per(np.bincount(model.unit[staff],
                                               weights=model.engagement[staff],
                                               minlength=units), heads),
        "engaged_employees": per(np.bincount(model.unit[engaged], minlength=units), heads),
        "customers": customers,
        "engaged_customers": per(np.bincount(unit, weights=engaged_customers,
                                             minlength=units), customers),
        "revenue_per_day": np.bincount(unit, weights=model.c_spend_rate[active],
                                       minlength=units),
    }


def engagement_quadrants(model, start: dict[str, np.ndarray]) -> dict[str, float]:
    """Revenue per customer by customer x employee engagement, followed forward.

    ``start`` is :func:`engagement_snapshot` taken earlier in the run. Each customer
    active then falls in a quadrant: engaged or not (:func:`customer_engaged`), and
    served by a business unit whose employees' mean engagement was above the median of
    the units or not. The outcome is the customer's annual revenue run-rate today (0 if
    they have churned since). Returns ``revenue_<quadrant>`` for ``both``,
    ``customer_only``, ``employee_only`` and ``neither``, and ``customers_<quadrant>``."""
    rows, engaged = start["rows"], start["engaged"]
    unit_engagement = start["unit_engagement"]
    high_units = unit_engagement > np.nanmedian(unit_engagement)
    high = high_units[start["unit"]]
    revenue = np.where(model.c_start_day[rows] <= start["day"],
                       model.c_spend_rate[rows], 0.0) * 365.0
    out = {}
    for name, mask in (("both", engaged & high), ("customer_only", engaged & ~high),
                       ("employee_only", ~engaged & high), ("neither", ~engaged & ~high)):
        out[f"customers_{name}"] = float(mask.sum())
        out[f"revenue_{name}"] = float(revenue[mask].mean()) if mask.any() else float("nan")
    return out


class UnitLedger:
    """Each business unit's operating account, day by day from the start of the final
    window: revenue of its customers, staff-days of its managers and frontline, hires
    into it and the executives' staff-days (corporate overhead, shared out by the
    units' customers). :func:`unit_performance` turns it into profit per customer."""

    def __init__(self, n_units: int):
        self.days = 0
        self.revenue = np.zeros(n_units)
        self.staff_days = np.zeros(n_units)
        self.hires = np.zeros(n_units)
        self.executive_days = 0.0

    def add(self, model) -> None:
        """Book one simulated day (after the day's phases)."""
        units = self.revenue.size
        self.days += 1
        self.revenue += unit_sums(model.c_unit, model.c_spend_rate, units)
        staff = model.active & (model.level != Level.EXECUTIVE)
        self.staff_days += np.bincount(model.unit[staff], minlength=units)
        hired = model.hired_today & (model.level != Level.EXECUTIVE)
        self.hires += np.bincount(model.unit[hired], minlength=units)
        self.executive_days += float((model.active & (model.level == Level.EXECUTIVE)).sum())


@jit
def unit_sums(unit, values, n_units):
    """``values`` summed by ``unit`` (as ``numpy.bincount`` with weights sums them;
    compiled: the customer arrays are fields of one table, which bincount would copy)."""
    sums = np.zeros(n_units)
    for i in range(unit.size):
        sums[unit[i]] += values[i]
    return sums


def unit_performance(model, start: dict[str, np.ndarray],
                     ledger: UnitLedger) -> dict[str, np.ndarray]:
    """Each business unit's engagement at the start of the final window and its operating
    profit over the window, per customer it had then, annualised (currency per customer
    per year).

    Operating profit = revenue x (1 - ``economics.cost_of_sales_share``) - the unit's
    staff cost (managers and frontline: ``economics.salary_per_employee`` per year each)
    - its hiring cost - its share of the executives' cost (by customers). Returns arrays
    indexed by unit: ``employee_engagement`` and ``engaged_customers`` (at the start),
    ``customers`` (active at the start), ``revenue`` and ``profit`` (per customer per
    year), ``margin`` (profit over revenue) and ``turnover`` (hires into its manager and
    frontline positions per head per year: at rest, its leavers replaced)."""
    p = model.p
    customers = start["unit_customers"].astype(float)
    year = 365.0 / max(ledger.days, 1)
    day_salary = p.salary_per_employee / 365.0
    executives = ledger.executive_days * day_salary * customers / max(customers.sum(), 1.0)
    profit = (ledger.revenue * (1.0 - p.cost_of_sales_share) - ledger.staff_days * day_salary
              - ledger.hires * p.hiring_cost - executives)

    def per_customer(values: np.ndarray) -> np.ndarray:
        return np.divide(values * year, customers, out=np.full(customers.size, np.nan),
                         where=customers > 0)

    return {"employee_engagement": start["unit_engagement"],
            "engaged_customers": start["unit_engaged_customers"], "customers": customers,
            "revenue": per_customer(ledger.revenue), "profit": per_customer(profit),
            "margin": np.divide(profit, ledger.revenue, out=np.full(customers.size, np.nan),
                                where=ledger.revenue > 0),
            "turnover": np.divide(ledger.hires * 365.0, ledger.staff_days,
                                  out=np.full(customers.size, np.nan),
                                  where=ledger.staff_days > 0)}


def unit_quadrants(model, start: dict[str, np.ndarray], ledger: UnitLedger) -> dict[str, float]:
    """Gallup's comparison, at the level of business units: each unit is high or low on
    employee engagement and on customer engagement (above the median unit of the run,
    or not), and each quadrant's operating profit per customer is the customer-weighted
    mean of its units' (:func:`unit_performance`). Returns ``profit_<quadrant>`` and
    ``units_<quadrant>`` for ``both``, ``customer_only``, ``employee_only`` and
    ``neither`` (NaN profit for a quadrant with no unit in this run), and the whole
    organisation's ``operating_margin`` over the window."""
    units = unit_performance(model, start, ledger)
    weight = units["customers"]
    quadrant = unit_quadrant_names(units)
    out = {}
    for name in QUADRANTS:
        mask = quadrant == name
        out[f"units_{name}"] = float(mask.sum())
        out[f"profit_{name}"] = weighted_mean(units["profit"], weight, mask)
    revenue = float(ledger.revenue.sum())
    profit = float((units["profit"][weight > 0] * weight[weight > 0]).sum()
                   * ledger.days / 365.0)
    out["operating_margin"] = profit / revenue if revenue > 0 else float("nan")
    out.update(engagement_quartiles(units))
    return out


def engagement_quartiles(units: dict[str, np.ndarray]) -> dict[str, float]:
    """Gallup's Q12 meta-analysis comparison: the units in the top quartile of the run on
    employee engagement against those in the bottom quartile (at or above the 75th
    percentile of the units with customers and staff, at or below the 25th; one unit
    each of four). Returns the customer-weighted means of their ``profit``, ``revenue``
    (per customer per year), ``engaged_customers`` (share) and ``turnover`` (hires per
    head per year) from :func:`unit_performance`, as ``<outcome>_employee_top`` and
    ``_employee_bottom`` (NaN where no unit has customers and staff, or no outcome)."""
    present = comparable_units(units)
    outcomes = [o for o in QUARTILE_OUTCOMES if o in units]
    out = {f"{o}_employee_{side}": float("nan") for o in outcomes for side in ("top", "bottom")}
    if not present.any():
        return out
    engagement = units["employee_engagement"][present]
    for side, q in (("top", 75.0), ("bottom", 25.0)):
        cut = float(np.percentile(engagement, q))
        inside = present.copy()
        inside[present] = engagement >= cut if side == "top" else engagement <= cut
        for outcome in outcomes:
            out[f"{outcome}_employee_{side}"] = weighted_mean(
                units[outcome], units["customers"], inside & np.isfinite(units[outcome]))
    return out


def weighted_mean(values: np.ndarray, weight: np.ndarray, mask: np.ndarray) -> float:
    """Mean of ``values[mask]`` weighted by ``weight[mask]`` (units by their customers);
    NaN where the mask holds no weight."""
    if not mask.any() or weight[mask].sum() <= 0:
        return float("nan")
    return float(np.average(values[mask], weights=weight[mask]))


def comparable_units(units: dict[str, np.ndarray]) -> np.ndarray:
    """The units :func:`unit_performance` can compare: with customers at the start and
    both engagements measured (a unit with no customers or staff has nothing to show)."""
    return ((units["customers"] > 0) & np.isfinite(units["employee_engagement"])
            & np.isfinite(units["engaged_customers"]))


#: The outcomes :func:`engagement_quartiles` compares (those present in its input).
QUARTILE_OUTCOMES = ("profit", "revenue", "engaged_customers", "turnover")


#: Gallup's quadrants of business units, by employee and customer engagement.
QUADRANTS = ("both", "customer_only", "employee_only", "neither")


def unit_quadrant_names(units: dict[str, np.ndarray]) -> np.ndarray:
    """Each unit's quadrant (:data:`QUADRANTS`) from :func:`unit_performance`: above the
    run's median unit on employee engagement, on customer engagement, both or neither;
    ``""`` for a unit with no customers or staff at the start (nothing to compare)."""
    present = comparable_units(units)
    employee = present & (units["employee_engagement"]
                          > _median(units["employee_engagement"][present]))
    customer = present & (units["engaged_customers"]
                          > _median(units["engaged_customers"][present]))
    return np.select([employee & customer, customer & ~employee, employee & ~customer,
                      present], list(QUADRANTS), default="")


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else float("nan")


def engagement_snapshot(model) -> dict[str, np.ndarray]:
    """The state :func:`engagement_quadrants` follows forward: today's active customers,
    whether each is engaged, their unit, and each unit's mean employee engagement."""
    rows = np.flatnonzero(model.c_status == CustomerStatus.ACTIVE)
    units = business_units(model)
    return {"day": np.int64(model.day), "rows": rows,
            "engaged": customer_engaged(model.c_satisfaction[rows], model.c_loyalty[rows]),
            "unit": model.c_unit[rows],
            "unit_engagement": units["employee_engagement"],
            "unit_engaged_customers": units["engaged_customers"],
            "unit_customers": units["customers"]}
