"""Building the organisation: positions, reporting tree, informal network.

Pure functions of the configuration, the structure and a random generator, shared
by the array engine (:mod:`cxsim.engine.model`) and the per-agent reference model, so
both start from the same kind of organisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from cxsim.core.dynamics import logistic
from cxsim.core.enums import Level
from cxsim.core.structure import Structure

EXECUTIVE, MANAGER, FRONTLINE = Level.EXECUTIVE, Level.MANAGER, Level.FRONTLINE

#: Starting state of the initial workforce: (mean, standard deviation) of normal draws,
#: clipped to [0, 1] (skill's mean is ``training.baseline_skill``).
START_ENGAGEMENT = (0.5, 0.15)
START_SKILL_SD = 0.1
START_CENTRICITY_SUPPORT, START_CENTRICITY_OTHERS, START_CENTRICITY_SD = 0.5, 0.3, 0.1
START_STRAIN = (0.1, 0.05)
#: Tenure of the initial workforce: uniform whole days below this.
START_TENURE_DAYS = 5 * 365
#: Spread of a new hire's engagement and customer-centricity around the hiring profile.
HIRE_SD = 0.1
#: Per-position day-in-cycle draws (training sessions, recognition) are uniform below this.
PHASE_RANGE = 10_000
#: Days between two sessions of the routine training (two a year).
ROUTINE_TRAINING_CYCLE = 182
#: Initial customers: spread of expectations around their segment's, and loyalty
#: (mean, standard deviation).
EXPECTATION_SD = 0.05
START_LOYALTY = (0.6, 0.1)


@dataclass(frozen=True)
class Positions:
    """The positions of an organisation, one row each (arrays of equal length)."""

    department: np.ndarray  #: department index of each position
    level: np.ndarray  #: EXECUTIVE, MANAGER or FRONTLINE
    boss: np.ndarray  #: row of the position it reports to (the chief executive: itself)
    team: np.ndarray  #: team index (a team is a leader and their direct reports)
    team_leaders: np.ndarray  #: row of each team's leader


def department_sizes(n_employees: int, structure: Structure) -> np.ndarray:
    """Head-count of each department (largest remainder of the shares, at least 2 each)."""
    shares = np.array([d.share for d in structure.departments])
    raw = shares / shares.sum() * n_employees
    sizes = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - sizes), kind="stable")
    sizes[order[: n_employees - sizes.sum()]] += 1
    sizes = np.maximum(sizes, 2)
    while sizes.sum() > n_employees:
        sizes[np.argmax(sizes)] -= 1
    return sizes


def build_positions(n_employees: int, span_of_control: int, structure: Structure) -> Positions:
    """Departments, levels and the reporting tree.

    The executive department holds the executives; its first position is the chief
    executive, to whom the other executives report. Every other department has
    ``round(size / (span_of_control + 1))`` managers (at least one), who report to
    an executive; its frontline employees are spread evenly over its managers.
    """
    n_departments = len(structure.departments)
    sizes = department_sizes(n_employees, structure)
    department = np.repeat(np.arange(n_departments), sizes)
    level = np.full(n_employees, FRONTLINE, dtype=np.int64)
    boss = np.zeros(n_employees, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    exec_dept = structure.department_index("executive")
    executives = np.arange(starts[exec_dept], starts[exec_dept] + sizes[exec_dept])
    level[executives] = EXECUTIVE
    boss[executives] = executives[0]
    for d in range(n_departments):
        if d == exec_dept:
            continue
        rows = np.arange(starts[d], starts[d] + sizes[d])
        n_managers = max(1, int(round(sizes[d] / (span_of_control + 1))))
        managers, frontline = rows[:n_managers], rows[n_managers:]
        level[managers] = MANAGER
        boss[managers] = executives[d % len(executives)]
        boss[frontline] = managers[np.arange(len(frontline)) % n_managers]
    leaders = np.flatnonzero(level < FRONTLINE)
    team_of_leader = np.full(n_employees, -1)
    team_of_leader[leaders] = np.arange(len(leaders))
    team = np.where(level == FRONTLINE, team_of_leader[boss], team_of_leader)
    return Positions(department, level, boss, team, leaders)


def incumbent_dispositions(rng: np.random.Generator, n: int, sd: float,
                           disengaged_quit_factor: float, own_weight: float) -> np.ndarray:
    """Dispositions to engage of the workforce at the start of a run.

    Hires are drawn from ``N(0, sd)``, but who is still there is selected: in a workforce
    at rest a type's share is its share of hires times its mean tenure (renewal theory),
    and disengaged staff quit ``1 + f (1 - engagement)`` times as often (7.11). A person's
    engagement settles where the pull of their own conditions and the pull of their peers
    balance (7.9): ``own_weight x logistic(d) + (1 - own_weight) x 1/2``, with
    ``own_weight = engagement_rate / (engagement_rate + social_influence_rate)`` and the
    peers at the hires' mean. So each hire-like draw is kept with probability
    ``1 / (1 + f (1 - own_weight x logistic(d) - (1 - own_weight) / 2))`` (rejection
    sampling), which starts the run at the selection that turnover would otherwise take
    years to reach (``own_weight = 1`` ignores the peers and over-selects)."""
    out = np.empty(n)
    filled = 0
    while filled < n:
        draws = rng.normal(0.0, sd, 2 * (n - filled) + 8)
        settled = own_weight * logistic(draws) + (1.0 - own_weight) * 0.5
        keep = rng.random(draws.size) < 1.0 / (1.0 + disengaged_quit_factor * (1.0 - settled))
        kept = draws[keep][:n - filled]
        out[filled:filled + kept.size] = kept
        filled += kept.size
    return out


def own_engagement_weight(engagement_rate: float, social_influence_rate: float) -> float:
    """Share of a settled engagement set by the person's own conditions rather than by
    their peers' (1 when neither pull acts)."""
    total = engagement_rate + social_influence_rate
    return engagement_rate / total if total > 0 else 1.0


def business_units(positions: Positions, n_units: int) -> np.ndarray:
    """Business unit of each position: a department's teams are dealt to the units in
    turn (team ``k`` of a department to unit ``k mod n_units``), and a frontline employee
    belongs to their manager's unit; executives are dealt in turn too."""
    unit = np.zeros(positions.level.size, dtype=np.int64)
    leaders = positions.level < FRONTLINE
    for d in np.unique(positions.department):
        rows = np.flatnonzero(leaders & (positions.department == d))
        unit[rows] = np.arange(rows.size) % n_units
    frontline = ~leaders
    unit[frontline] = unit[positions.boss[frontline]]
    return unit


def unit_climates(draws: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Each business unit's local climate from its standard-normal-scaled ``draws``,
    centred so that the staff-weighted mean over units is 0: units differ from one
    another, the organisation's own climate is set elsewhere (disposition, leadership)."""
    staff = np.bincount(unit, minlength=draws.size).astype(float)
    if staff.sum() == 0:
        return draws - draws.mean()
    return draws - np.dot(staff, draws) / staff.sum()


def unit_customer_shares(unit: np.ndarray, level: np.ndarray, n_units: int) -> np.ndarray:
    """Share of the customers each business unit serves: its share of the frontline
    positions (customers are dealt to account teams in proportion to the staff who serve
    them, so every unit carries about the same load); equal shares if there is no
    frontline at all."""
    frontline = np.bincount(unit[level == FRONTLINE], minlength=n_units).astype(float)
    if frontline.sum() == 0:
        return np.full(n_units, 1.0 / n_units)
    return frontline / frontline.sum()


def build_network(positions: Positions, silo_strength: float, ties_per_employee: float,
                  rng: np.random.Generator) -> nx.Graph:
    """The informal network: reporting lines plus ``ties_per_employee`` ties on average.

    Each informal tie starts at a random employee and crosses to another department
    with probability ``(1 - silo_strength) * (1 - own department's share)`` (random
    mixing at 0, no crossing at 1); otherwise it stays inside the department.
    Edges carry ``kind`` = ``"informal"`` or ``"reporting"``.
    """
    dept = positions.department
    n = dept.size
    n_departments = int(dept.max()) + 1
    sizes = np.bincount(dept, minlength=n_departments)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    m = int(round(n * ties_per_employee / 2))
    source = rng.integers(0, n, m)
    d = dept[source]
    cross = rng.random(m) < (1.0 - silo_strength) * (1.0 - sizes[d] / n)
    u = rng.random(m)
    within_target = starts[d] + (u * sizes[d]).astype(np.int64)
    other = (u * (n - sizes[d])).astype(np.int64)
    cross_target = np.where(other >= starts[d], other + sizes[d], other)
    target = np.where(cross, cross_target, within_target)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(source.tolist(), target.tolist()), kind="informal")
    reports = np.flatnonzero(positions.boss != np.arange(n))
    graph.add_edges_from(zip(reports.tolist(), positions.boss[reports].tolist()),
                         kind="reporting")
    graph.remove_edges_from(list(nx.selfloop_edges(graph)))
    return graph


def effective_silo(edge_source: np.ndarray, edge_target: np.ndarray,
                   department: np.ndarray, n_departments: int) -> tuple[np.ndarray, float]:
    """Silo strength measured on the network: per department, 1 minus its share of
    tie ends that cross departments relative to random mixing; and the head-count
    weighted mean. ``edge_source -> edge_target`` lists both directions of each tie."""
    n = department.size
    sizes = np.bincount(department, minlength=n_departments)
    from_dept = department[edge_source]
    crossing = from_dept != department[edge_target]
    ends = np.bincount(from_dept, minlength=n_departments)
    cross_ends = np.bincount(from_dept[crossing], minlength=n_departments)
    expected = 1.0 - sizes / n
    share = cross_ends / np.maximum(ends, 1)
    per_department = np.clip(1.0 - share / np.maximum(expected, 1e-9), 0.0, 1.0)
    return per_department, float(np.average(per_department, weights=sizes))


def authority_baseline(baseline_empowerment: float, n_departments: int) -> np.ndarray:
    """Authority granted by level before interventions (departments x 3 levels):
    executives 0.9, managers 0.3 above frontline, frontline ``baseline_empowerment``."""
    levels = np.array([0.9, min(1.0, baseline_empowerment + 0.3), baseline_empowerment])
    return np.tile(levels, (n_departments, 1))
