"""The consultant's report: one self-contained, printable HTML file from a comparison.

>>> from cxsim.experiments.comparisons import compare
>>> from cxsim.experiments.scenarios import load_scenario
>>> from cxsim.interfaces.report import write_report
>>> baseline, training = load_scenario("baseline"), load_scenario("training")
>>> comparison = compare(baseline, [training], replicates=10, seed=1)   # doctest: +SKIP
>>> write_report(comparison, "report.html", scenarios=[baseline, training])  # doctest: +SKIP

The file holds everything it shows: figures are PNG images in ``data:`` URIs, the style
sheet is inline, fonts are the reader's system fonts, and there are no scripts, so it
opens offline and makes no network request. Its sections: the question, the key
findings, each scenario's assumptions (from its file), the headline results with 95%
confidence intervals, the charts, the economics, what drives the effect (a decomposition
of the change in customers' contact experience, and so of CSAT, into interaction quality,
problem handling and defects, from the runs' own daily tallies; see ``docs/report.md``),
the limitations and a reproducibility box. Print CSS keeps every figure and table on one
page (A4 or Letter) and numbers the pages; :func:`write_pdf` prints it with headless
Chromium.

Everything from a scenario file (names, descriptions, department names) is escaped.
"""

from __future__ import annotations

import base64
import io
import math
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core import dynamics as dyn
from cxsim.core.parameters import PARAMETERS_BY_NAME, ParameterError
from cxsim.engine.interventions import INTERVENTIONS
from cxsim.experiments.comparisons import ComparisonResult, t_interval, unique_labels
from cxsim.experiments.output import write_files_atomically
from cxsim.experiments.responsibility import ResponsibilityResult
from cxsim.experiments.scenarios import Scenario
from cxsim.experiments.specs import RunSpec
from cxsim.interfaces.formatting import (
    format_difference,
    format_interval,
    format_value,
    is_finite,
)
from cxsim.interfaces.responsibility_plot import report_section, waterfall

__all__ = ["REPORT_METRICS", "RESPONSIBILITY_SECTION", "SECTIONS", "build_report",
           "check_report_path", "check_stored_comparison", "comparison_scenario",
           "experience_decomposition", "find_chromium", "report_responsibility",
           "report_sections", "write_pdf", "write_report"]

#: The report's sections, in order: (id of the HTML section, heading).
SECTIONS = (
    ("question", "The question"),
    ("findings", "Key findings"),
    ("assumptions", "What each scenario assumes"),
    ("results", "Headline results"),
    ("charts", "Charts"),
    ("economics", "Cost, profit and payback"),
    ("drivers", "What drives this"),
    ("limitations", "Limitations"),
    ("reproducibility", "Reproducibility"),
)
#: The section added after "What drives this" when the report is given a responsibility
#: map (``write_report(..., responsibility=...)``, ``cxsim report --responsibility``).
RESPONSIBILITY_SECTION = ("responsibility", "Who carries your CX")


def report_sections(responsibility: bool = False) -> tuple[tuple[str, str], ...]:
    """The report's sections in order: :data:`SECTIONS`, with
    :data:`RESPONSIBILITY_SECTION` after ``drivers`` when ``responsibility``."""
    if not responsibility:
        return SECTIONS
    at = [key for key, _ in SECTIONS].index("drivers") + 1
    return SECTIONS[:at] + (RESPONSIBILITY_SECTION,) + SECTIONS[at:]

#: Metrics of the headline tables, in groups: (group, {summary key -> (label, what it
#: means, whether higher is better)}).
REPORT_METRICS: tuple[tuple[str, dict[str, tuple[str, str, bool]]], ...] = (
    ("customers and service", {
        "csat": ("Customer satisfaction (CSAT)",
                 "share of survey answers 4 or 5 out of 5", True),
        "nps": ("Net Promoter Score", "% promoters minus % detractors, in points", True),
        "fcr": ("Solved at first contact", "first-contact resolution (FCR)", True),
        "contacts_per_resolution": ("Contacts per solved problem",
                                    "how often a customer must get in touch", False),
        "time_to_resolution": ("Days to solve a problem", "first contact to solution",
                               False),
        "quality_mean": ("Interaction quality", "mean quality of a contact, 0 to 1", True),
    }),
    ("people and business", {
        "engagement_share": ("Employees engaged", "share of staff", True),
        "burnout_share": ("Employees burnt out", "share of staff", False),
        "turnover_rate": ("Employee turnover", "leavers per head, per year", False),
        "churn_rate": ("Customers lost", "per active customer, per year", False),
        "active_customers": ("Active customers", "on the last day", True),
        "revenue": ("Revenue", "over the whole period, currency", True),
    }),
)

#: Economic quantities of the report: key -> (label, what it means).
ECONOMICS_ROWS: dict[str, tuple[str, str]] = {
    "intervention_cost": ("Cost of the interventions", "their own cost lines"),
    "revenue_difference": ("Extra revenue", "against the baseline"),
    "staff_cost_difference": ("Extra staff cost", "salaries of filled positions"),
    "hiring_cost_difference": ("Extra hiring cost", "replacing leavers"),
    "profit_difference": ("Extra profit", "revenue minus all the costs above"),
    "roi": ("Return on investment (ROI)", "extra profit per unit of cost"),
    "payback_day": ("Payback", "first day from which the cumulative extra profit stays "
                    "positive"),
    "npv": ("Net present value (NPV)", "extra profit, discounted"),
}

#: Readable names of the intervention types.
INTERVENTION_TITLES = {
    "leadership_commitment": "Leadership commitment", "training": "CX training",
    "empowerment": "Empowerment", "guidelines": "Clear guidelines",
    "collaboration": "Cross-functional collaboration", "shared_metrics": "Shared CX metrics",
    "crm": "Integrated CRM and knowledge tools", "recognition": "Recognition",
    "voc_loop": "Voice-of-customer loop", "hiring": "Hiring for CX values",
    "coaching": "Manager coaching", "accountability": "Accountability partnerships",
    "budget_cut": "Budget cut (shock)", "layoffs": "Layoffs (shock)",
    "reorganisation": "Reorganisation (shock)",
}
#: Intervention fields shown under timing, targets and costs (the rest: "how").
TIMING_FIELDS = ("start", "ramp_days", "duration")
TARGET_FIELDS = ("departments", "levels")
COST_WORDS = ("cost", "saving", "severance")

#: Components of the contact experience (see :func:`experience_decomposition`).
COMPONENTS = {
    "quality": "Interaction quality",
    "problem_handling": "Problem handling (first-contact resolution, repeats, give-ups)",
    "defects": "New problems revealed (defects)",
}
#: Workforce drivers of interaction quality: daily column -> (label, argument of
#: dyn.interaction_quality).
QUALITY_DRIVERS = {
    "skill_mean": ("CX skill", "skill"),
    "engagement_mean": ("Engagement", "engagement"),
    "centricity_mean": ("Customer-centricity", "centricity"),
    "empowerment_mean": ("Authority used", "authority"),
}

#: Chromium's switches for headless printing: no first-run, no background traffic.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic")
#: Where Chromium is looked for (``CXSIM_CHROMIUM`` names another binary).
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser",
                       "google-chrome", "google-chrome-stable")
#: Paper sizes of ``--pdf``.
PAPERS = {"a4": "A4", "letter": "letter"}
#: Longest a PDF print may take (seconds).
PDF_TIMEOUT = 180


# ---------------------------------------------------------------------- checks


def check_report_path(path: str | Path, flag: str = "--out", pdf: bool = False) -> Path:
    """``path`` as the report's file, or ParameterError: not a directory, its folder
    (created if missing) must be writable, and with ``pdf`` the PDF beside it (suffix
    ``.pdf``) must not be the report itself."""
    path = Path(path)
    if str(path).strip() == "":
        raise ParameterError(f"{flag} = '' is not allowed: expected a file path such as "
                             "report.html")
    if pdf and path.suffix.lower() == ".pdf":
        raise ParameterError(f"{flag} = {str(path)!r} is not allowed with --pdf: the PDF "
                             "would replace it; give the HTML file an .html ending")
    if path.is_dir():
        raise ParameterError(f"{flag} = {str(path)!r} is not allowed: it is a directory; "
                             "expected a file path such as report.html")
    if path.exists() and not path.is_file():
        raise ParameterError(f"{flag} = {str(path)!r} is not allowed: it exists and is not "
                             "a regular file")
    folder = path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ParameterError(f"{flag} = {str(path)!r} is not allowed: {str(folder)!r} is a "
                             "file, not a directory")
    if not os.access(folder, os.W_OK):
        raise ParameterError(f"{flag} = {str(path)!r} is not allowed: {str(folder)!r} is not "
                             "writable")
    return path


def check_stored_comparison(comparison: ComparisonResult, baseline: Scenario,
                            scenarios: Sequence[Scenario], source: str = "--from") -> None:
    """Raise ParameterError unless the stored ``comparison`` compared these scenarios.

    The names must be the same, in the same order; each scenario's interventions and
    structure must equal the stored runs', and so must the parameters in which it
    differs from its baseline (overrides applied to every scenario alike, such as
    ``--employees``, are allowed). The message names every scenario that differs."""
    requested = unique_labels([s.name for s in [baseline, *scenarios]])
    stored = [comparison.baseline, *comparison.scenarios]
    problems = [f"{name!r} is not in it" for name in requested if name not in stored]
    problems += [f"it holds {name!r}, which was not requested" for name in stored
                 if name not in requested]
    if not problems and requested != stored:
        problems.append(f"the order differs (stored: {', '.join(map(repr, stored))})")
    if not problems:
        mine = [_spec_of(s, label) for s, label in zip([baseline, *scenarios], requested)]
        theirs = [first_spec(comparison, label) for label in stored]
        for label, own, other in zip(requested, mine, theirs):
            parts = []
            if own.interventions != other.interventions:
                parts.append("interventions")
            if own.structure != other.structure:
                parts.append("structure")
            if (label != requested[0]
                    and _changed(own, mine[0]) != _changed(other, theirs[0])):
                parts.append("parameters")
            if parts:
                problems.append(f"{label!r} has other {' and '.join(parts)} than the "
                                "stored runs")
    if problems:
        raise ParameterError(f"{source}: the stored comparison does not match the requested "
                             f"scenarios: {'; '.join(problems)}. Run the report without "
                             "--from, or name the scenarios the comparison was run with")


def _spec_of(scenario: Scenario, label: str) -> RunSpec:
    return RunSpec.build(scenario.config, seed=0, interventions=scenario.interventions,
                         structure=scenario.structure, scenario=label)


def _changed(spec: RunSpec, baseline: RunSpec) -> dict[str, Any]:
    """Parameters in which ``spec`` differs from ``baseline``, with ``spec``'s values."""
    base = dict(baseline.parameters)
    return {k: v for k, v in spec.parameters if base.get(k) != v}


def first_spec(comparison: ComparisonResult, label: str) -> RunSpec:
    """The spec of ``label``'s first replicate."""
    for row in comparison.specs:
        if row["scenario"] == label:
            spec = row["spec"]
            return spec if isinstance(spec, RunSpec) else RunSpec.from_dict(spec)
    raise ParameterError(f"scenario = {label!r} is not allowed: the comparison has no runs "
                         "of it")


def comparison_scenario(comparison: ComparisonResult, label: str) -> Scenario:
    """The scenario ``label`` of ``comparison`` as its runs had it (parameters with the
    comparison's overrides, interventions, structure, first seed)."""
    from cxsim.core.structure import Structure
    from cxsim.engine.interventions import from_dict

    spec = first_spec(comparison, label)
    return Scenario(name=label, config=spec.config,
                    interventions=[from_dict(t) for t in spec.intervention_tables],
                    structure=Structure.from_dict(spec.structure_tables), seed=spec.seed)


def report_responsibility(comparison: ComparisonResult, by: str = "department", *,
                          scenario: str | None = None, metrics: Any = None,
                          reference: str = "lagging", workers: int | None = None,
                          progress: bool = False) -> ResponsibilityResult:
    """The responsibility map of one of ``comparison``'s scenarios (default: its
    baseline) for the report's "who carries your CX" section: that scenario as its runs
    had it (size and overrides), the comparison's replicates and seeds, decomposed
    ``by`` department, level or both (:func:`cxsim.experiments.responsibility.
    responsibility`; ``2^groups`` runs per replicate up to 8 groups)."""
    from cxsim.experiments.responsibility import responsibility

    label = comparison.baseline if scenario is None else scenario
    return responsibility(comparison_scenario(comparison, label), by=by, metrics=metrics,
                          replicates=len(comparison.seeds), seed=comparison.seeds[0],
                          reference=reference, workers=workers, progress=progress)


# ---------------------------------------------------------------------- numbers


@dataclass
class Cell:
    """One formatted table cell: the text, an optional interval and a reading."""

    text: str
    interval: str = ""
    reading: str = ""
    tone: str = ""


def _mean_cell(row: Mapping[str, Any]) -> Cell:
    unit = row["unit"]
    return Cell(format_value(unit, row["mean"]),
                format_interval(unit, row["ci_low"], row["ci_high"]))


def _difference_cell(row: Mapping[str, Any], higher_is_better: bool) -> Cell:
    unit = row["unit"]
    cell = Cell(format_difference(unit, row["difference"]),
                format_interval(unit, row["difference_ci_low"], row["difference_ci_high"],
                                signed=True))
    cell.reading, cell.tone = _reading(row["difference"], row["significant"],
                                       higher_is_better)
    return cell


def _reading(difference: float, significant: bool, higher_is_better: bool) -> tuple[str, str]:
    """Plain words for a difference: better or worse when its interval excludes zero."""
    if not significant or not is_finite(difference):
        return "no clear difference", "neutral"
    better = (difference > 0) == higher_is_better
    return ("better", "good") if better else ("worse", "bad")


def _payback_text(value: float) -> str:
    return f"day {value:,.0f}" if is_finite(value) else "-"


def economics_cell(row: Mapping[str, Any], n: int) -> Cell:
    """An economics quantity's mean and interval, or how often it was undefined."""
    quantity, unit = row["quantity"], row["unit"]
    if row["defined_share"] < 1:
        undefined = round((1 - row["defined_share"]) * n)
        reason = {"roi": "no cost", "payback_day": "no payback within the period"}.get(
            quantity, "undefined")
        return Cell(f"{reason} in {undefined} of {n} runs", reading="", tone="neutral")
    if quantity == "payback_day":
        interval = (f"[{_payback_text(row['ci_low'])}, {_payback_text(row['ci_high'])}]"
                    if is_finite(row["ci_low"]) else "")
        return Cell(_payback_text(row["mean"]), interval.replace("day ", ""))
    cell = Cell(format_value(unit, row["mean"]),
                format_interval(unit, row["ci_low"], row["ci_high"]))
    if quantity in ("profit_difference", "npv", "roi", "revenue_difference"):
        cell.reading, cell.tone = _reading(row["mean"], row["significant"], True)
    return cell


def experience_decomposition(comparison: ComparisonResult) -> pd.DataFrame:
    """How each scenario changes what customers experience in a contact, and so CSAT.

    The model scores each contact's experience (:func:`cxsim.core.dynamics.
    contact_experience`) as its interaction quality, plus a problem term (a deficit for a
    problem contact, a recovery when it is resolved, a cost per repeat contact and for
    giving up) and a penalty when a routine contact reveals a new problem. Satisfaction,
    and so CSAT, follows the experience measured against expectations. Over the final
    window of each run the daily tallies give each part per contact:

    * quality: mean interaction quality;
    * problem handling: (deficit x problem contacts + recovery x resolved problems +
      repeat cost x repeat contacts + give-up cost x abandoned problems) / contacts;
    * defects: penalty x problems revealed / contacts;

    with the weights read off ``contact_experience`` itself. Each part's paired
    difference (scenario - baseline, per seed) gets a 95% interval; the CSAT difference
    is split in proportion to the parts' mean differences (``share``, ``csat_part``).
    Rows ``kind == "workforce"`` give the change of the workforce means behind quality
    (skill, engagement, centricity, authority) and the quality change each implies
    through the weights of :func:`cxsim.core.dynamics.interaction_quality`.

    Needs the comparison's daily series (``comparison.daily``). Returns one row per
    scenario and component: ``scenario, kind, component, label, difference, ci_low,
    ci_high, significant, share, csat_part, weight``.
    """
    daily = getattr(comparison, "daily", None)
    if daily is None or len(daily) == 0:
        raise ParameterError("comparison.daily is None: the decomposition needs the "
                             "comparison's daily series (compare(..., series=True))")
    window = comparison.config.summary_window_days
    parts = _window_parts(daily, window)
    weights = quality_weights()
    rows = []
    base = parts.loc[comparison.baseline]
    for label in comparison.scenarios:
        own = parts.loc[label]
        diffs = (own - base.reindex(own.index)).dropna(how="all")
        total = diffs[list(COMPONENTS)].sum(axis=1).mean()
        csat, csat_low, csat_high, _ = t_interval(diffs["csat"])
        for kind, names in (("experience", COMPONENTS), ("workforce", QUALITY_DRIVERS)):
            for component in names:
                mean, low, high, _ = t_interval(diffs[component])
                label_text = (COMPONENTS[component] if kind == "experience"
                              else QUALITY_DRIVERS[component][0])
                share = (mean / total if kind == "experience" and is_finite(total)
                         and total != 0 else math.nan)
                weight = weights[component] if kind == "workforce" else 1.0
                rows.append({"scenario": label, "kind": kind, "component": component,
                             "label": label_text, "difference": mean, "ci_low": low,
                             "ci_high": high, "significant": _excludes_zero(low, high),
                             "share": share, "csat_part": csat * share, "weight": weight})
        mean, low, high, _ = t_interval(diffs[list(COMPONENTS)].sum(axis=1))
        rows.append({"scenario": label, "kind": "total", "component": "experience",
                     "label": "Contact experience (sum)", "difference": mean, "ci_low": low,
                     "ci_high": high, "significant": _excludes_zero(low, high),
                     "share": 1.0 if is_finite(total) and total != 0 else math.nan,
                     "csat_part": csat, "weight": 1.0})
        rows.append({"scenario": label, "kind": "total", "component": "csat",
                     "label": "CSAT", "difference": csat, "ci_low": csat_low,
                     "ci_high": csat_high, "significant": _excludes_zero(csat_low, csat_high),
                     "share": math.nan, "csat_part": csat, "weight": 1.0})
    return pd.DataFrame(rows)


def _excludes_zero(low: float, high: float) -> bool:
    return bool(is_finite(low) and is_finite(high) and (low > 0 or high < 0))


def experience_weights() -> dict[str, float]:
    """Weights of the contact experience, read off :func:`dyn.contact_experience` (it is
    linear inside [0, 1]): per problem contact, resolution, repeat contact, give-up and
    revealed problem."""
    one = np.ones(1)
    yes, no = np.ones(1, dtype=bool), np.zeros(1, dtype=bool)

    def experience(problem=no, resolved=no, contacts=one, abandoned=no, revealed=no) -> float:
        return float(dyn.contact_experience(0.6 * one, problem, resolved, contacts, abandoned,
                                            revealed)[0])

    plain = experience()
    problem = experience(problem=yes)
    return {"problem": problem - plain,
            "resolved": experience(problem=yes, resolved=yes) - problem,
            "repeat": experience(problem=yes, contacts=2 * one) - problem,
            "abandoned": experience(problem=yes, abandoned=yes) - problem,
            "revealed": experience(revealed=yes) - plain}


def quality_weights() -> dict[str, float]:
    """Weight of each workforce mean in :func:`dyn.interaction_quality` (its mean is
    linear): the quality change of a unit change, all else equal."""
    inputs = {"skill": 0.3, "engagement": 0.3, "centricity": 0.3, "authority": 0.3}

    def quality(**changes: float) -> float:
        values = {k: np.array([inputs[k] + changes.get(k, 0.0)]) for k in inputs}
        return float(dyn.interaction_quality(values["skill"], values["engagement"],
                                             values["centricity"], values["authority"],
                                             0.0, 0.0, 0.0, np.zeros(1), 0.0, 0.0)[0])

    plain = quality()
    return {column: (quality(**{argument: 0.1}) - plain) / 0.1
            for column, (_, argument) in QUALITY_DRIVERS.items()}


def _window_parts(daily: pd.DataFrame, window: int) -> pd.DataFrame:
    """Per (scenario, replicate): the experience parts per contact, CSAT and the
    workforce means over the final window (the last ``window`` intervention days)."""
    day = "intervention_day" if "intervention_day" in daily.columns else "day"
    period = daily[daily[day] >= 0]
    period = period.sort_values(["scenario", "replicate", day])
    final = period.groupby(["scenario", "replicate"], sort=False).tail(window)
    w = experience_weights()
    groups = final.groupby(["scenario", "replicate"], sort=False)
    sums = groups[["contacts", "problem_contacts", "first_contacts", "resolved_first",
                   "resolved_repeat", "unresolved", "problems_opened", "responses",
                   "csat_top2"]].sum()
    quality_sum = (final["quality_mean"].fillna(0.0) * final["contacts"]).groupby(
        [final["scenario"], final["replicate"]], sort=False).sum()
    contacts = sums["contacts"].where(sums["contacts"] > 0)
    parts = pd.DataFrame(index=sums.index)
    parts["quality"] = quality_sum / contacts
    parts["problem_handling"] = (
        w["problem"] * sums["problem_contacts"]
        + w["resolved"] * (sums["resolved_first"] + sums["resolved_repeat"])
        + w["repeat"] * (sums["problem_contacts"] - sums["first_contacts"])
        + w["abandoned"] * sums["unresolved"]) / contacts
    parts["defects"] = w["revealed"] * sums["problems_opened"] / contacts
    parts["csat"] = sums["csat_top2"] / sums["responses"].where(sums["responses"] > 0)
    for column in QUALITY_DRIVERS:
        parts[column] = groups[column].mean()
    return parts


# ---------------------------------------------------------------------- content


def _human(name: str) -> str:
    return name.replace("_", " ")


def _field_value(name: str, value: Any, unit: str) -> str:
    if value is None:
        return "until the end of the run" if name == "duration" else "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) if value else "all"
    if isinstance(value, float) and ("currency" in unit or "cost" in name):
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _timing_sentence(table: Mapping[str, Any], days: int) -> str:
    start, ramp, duration = table.get("start", 0), table.get("ramp_days", 0), \
        table.get("duration")
    text = f"starts on day {start} after the warm-up"
    text += (f", is adopted gradually over {ramp} days" if ramp
             else ", at full strength at once")
    end = days if duration is None else min(days, start + duration)
    text += (" and lasts to the end of the period" if duration is None or end >= days
             else f" and stops after {duration} days (day {end})")
    return text + "."


def _cost_field(name: str) -> bool:
    return any(word in name for word in COST_WORDS)


def describe_intervention(table: Mapping[str, Any], days: int) -> dict[str, Any]:
    """An intervention's scenario-file table in words: title, what it is, timing,
    targets, costs and its other settings (each with its unit and meaning)."""
    kind = table["type"]
    cls = INTERVENTIONS[kind]
    rules = cls.field_rules()
    summary = " ".join((cls.__doc__ or "").split("\n\n")[0].split()).replace("``", "")

    def rows(names: Iterable[str]) -> list[dict[str, str]]:
        return [{"field": _human(name),
                 "value": _field_value(name, table.get(name), rules[name].unit),
                 "unit": rules[name].unit, "meaning": rules[name].description}
                for name in names if name in rules]

    departments = table.get("departments") or []
    levels = table.get("levels") or []
    targets = (f"{', '.join(levels) if levels else 'all levels'} in "
               f"{', '.join(departments) if departments else 'every department'}")
    other = [n for n in rules if n not in TIMING_FIELDS + TARGET_FIELDS
             and not _cost_field(n)]
    return {"title": INTERVENTION_TITLES.get(kind, _human(kind).capitalize()), "kind": kind,
            "summary": summary, "timing": _timing_sentence(table, days),
            "targets": targets, "settings": rows(other),
            "costs": rows(n for n in rules if _cost_field(n)),
            "schedule": rows(TIMING_FIELDS)}


def scenario_assumptions(comparison: ComparisonResult,
                         scenarios: Sequence[Scenario] | None = None) -> list[dict[str, Any]]:
    """Each scenario (baseline first) as the report describes it: name, description,
    its interventions in words and the parameters it changes from the baseline."""
    labels = [comparison.baseline, *comparison.scenarios]
    by_label = dict(zip(labels, scenarios)) if scenarios else {}
    base_spec = first_spec(comparison, comparison.baseline)
    days = base_spec.days
    out = []
    for label in labels:
        spec = first_spec(comparison, label)
        scenario = by_label.get(label)
        changed = []
        if label != comparison.baseline:
            base = dict(base_spec.parameters)
            for name, value in spec.parameters:
                if base.get(name) != value:
                    parameter = PARAMETERS_BY_NAME[name]
                    changed.append({"parameter": parameter.path,
                                    "baseline": _field_value(name, base.get(name), ""),
                                    "value": _field_value(name, value, ""),
                                    "unit": parameter.unit,
                                    "meaning": parameter.description})
        out.append({"label": label, "is_baseline": label == comparison.baseline,
                    "description": scenario.description if scenario else "",
                    "interventions": [describe_intervention(t, days)
                                      for t in spec.intervention_tables],
                    "changed": changed})
    return out


def headline_rows(comparison: ComparisonResult, label: str
                  ) -> list[tuple[str, list[dict[str, Any]]]]:
    """The headline tables of one scenario, by group of :data:`REPORT_METRICS`: per
    metric, the baseline's and the scenario's mean with 95% CI, the paired difference
    with its CI, and a reading."""
    summary = comparison.summary.set_index(["scenario", "metric"])
    tables = []
    for group, metrics in REPORT_METRICS:
        rows = []
        for metric, (text, meaning, higher_is_better) in metrics.items():
            if (label, metric) not in summary.index:
                continue
            base = summary.loc[(comparison.baseline, metric)]
            own = summary.loc[(label, metric)]
            rows.append({"metric": metric, "label": text, "meaning": meaning,
                         "baseline": _mean_cell(base), "scenario": _mean_cell(own),
                         "difference": _difference_cell(own, higher_is_better)})
        tables.append((group, rows))
    return tables


def economics_rows(comparison: ComparisonResult, label: str) -> list[dict[str, Any]]:
    """The economics of one scenario against the baseline, one row per quantity."""
    economics = comparison.economics.set_index(["scenario", "quantity"])
    n = len(comparison.seeds)
    rows = []
    for quantity, (text, meaning) in ECONOMICS_ROWS.items():
        if (label, quantity) in economics.index:
            row = economics.loc[(label, quantity)].to_dict() | {"quantity": quantity}
            rows.append({"quantity": quantity, "label": text, "meaning": meaning,
                         "cell": economics_cell(row, n)})
    return rows


def findings(comparison: ComparisonResult) -> list[str]:
    """One plain sentence per scenario: CSAT, FCR and NPS effects and what it earns."""
    summary = comparison.summary.set_index(["scenario", "metric"])
    economics = comparison.economics.set_index(["scenario", "quantity"])
    n = len(comparison.seeds)
    sentences = []
    for label in comparison.scenarios:
        effects = []
        for metric in ("csat", "fcr", "nps"):
            row = summary.loc[(label, metric)]
            text = {"csat": "customer satisfaction", "fcr": "problems solved at the first "
                    "contact", "nps": "Net Promoter Score"}[metric]
            change = format_difference(row["unit"], row["difference"])
            interval = format_interval(row["unit"], row["difference_ci_low"],
                                       row["difference_ci_high"], signed=True)
            word = "" if row["significant"] else " (not clearly different from zero)"
            effects.append(f"{text} {change} {interval}{word}")
        profit = economics.loc[(label, "profit_difference")]
        payback = economics.loc[(label, "payback_day")]
        money = (f"extra profit over the period {format_value('money', profit['mean'])} "
                 f"{format_interval('money', profit['ci_low'], profit['ci_high'])}"
                 if profit["defined_share"] == 1 else "extra profit undefined")
        if payback["defined_share"] == 1:
            pays = f"it pays back by {_payback_text(payback['mean'])} on average"
        elif payback["defined_share"] == 0:
            pays = "it does not pay back within the period in any run"
        else:
            pays = (f"it pays back within the period in {round(payback['defined_share'] * n)}"
                    f" of {n} runs")
        sentences.append((label, f"{'; '.join(effects)}; {money}; {pays}."))
    return sentences


def limitations(comparison: ComparisonResult) -> list[str]:
    """What the reader must keep in mind: the model's nature, and this comparison's own
    limits (replicates, size, horizon, unclear effects)."""
    config = comparison.config
    n = len(comparison.seeds)
    items = [
        "These are results of a simulation model, not a forecast: the organisation is "
        "stylised, its mechanisms follow published research and their strengths are "
        "calibrated to ranges from the literature, not to this client's data "
        "(docs/ODD.md gives the calibration status of each mechanism).",
        "A 95% interval says where the model's average lies given its parameters; it "
        "does not include the uncertainty of the parameters themselves (a sensitivity "
        "analysis, cxsim sensitivity, shows which ones matter).",
        f"Only the {config.days} days after the warm-up are counted: costs and benefits "
        "after the horizon are not in the economics, so a programme that pays back "
        "later shows a loss here.",
        "Costs are the interventions' own cost lines, salaries of filled positions and "
        "hiring; management time, disruption and other costs not modelled are not "
        "included.",
        "No correction is made for comparing many metrics at once: among the metrics "
        "marked better or worse, about one in twenty may be a chance result.",
    ]
    if n < 10:
        items.append(f"Only {n} replicate{'s' if n != 1 else ''} per scenario: the intervals "
                     "are wide or missing; 20 or more replicates are advised for decisions.")
    if config.n_customers < 20_000 or config.n_employees < 500:
        items.append(f"A small organisation ({config.n_employees:,} employees, "
                     f"{config.n_customers:,} customers) was simulated: survey metrics are "
                     "noisier than at the default size.")
    unclear = sorted({row["scenario"] for _, row in comparison.summary.iterrows()
                      if row["scenario"] != comparison.baseline and row["metric"] == "csat"
                      and not row["significant"]})
    for label in unclear:
        items.append(f"{label}: the change in customer satisfaction is not clearly "
                     "different from zero; more replicates would narrow its interval.")
    return items


def reproducibility(comparison: ComparisonResult, command: str | None,
                    source: str | None,
                    responsibility: ResponsibilityResult | None = None,
                    ) -> list[tuple[str, str]]:
    """Rows of the reproducibility box."""
    seeds = comparison.seeds
    config = comparison.config
    seed_text = (f"{seeds[0]} to {seeds[-1]} (replicate r uses seed {seeds[0]} + r)"
                 if len(seeds) > 1 else str(seeds[0]))
    rows = [
        ("Command", command or "built from Python (cxsim.interfaces.report.write_report)"),
        ("cxsim version", _version("cxsim")),
        ("Mesa version", _version("mesa")),
        ("Python", platform.python_version()),
        ("Seeds", seed_text),
        ("Replicates", f"{len(seeds)} per scenario"),
        ("Organisation", f"{config.n_employees:,} employees, {config.n_customers:,} "
                         "customers"),
        ("Period", f"{config.burn_in_days} warm-up days + {config.days} days; survey and "
                   f"service metrics over the last "
                   f"{min(config.summary_window_days, config.days)} days"),
        ("Discount rate", f"{comparison.discount_rate:.1%} a year (NPV)"),
        ("Baseline run", first_spec(comparison, comparison.baseline).content_hash[:16]
         + " (content hash of the first replicate's spec)"),
    ]
    if source:
        rows.insert(1, ("Comparison read from", source))
    if responsibility is not None:
        r = responsibility
        rows.append(("Responsibility map", (
            f"{r.scenario!r} by {r.by}, reference {r.reference}, {r.method} Shapley over "
            f"{len(r.groups)} groups, seeds {r.seeds[0]} to {r.seeds[-1]}, {len(r.runs):,} "
            "runs" + (f" (read from {r.source})" if r.source else ""))))
    rows.append(("Written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")))
    return rows


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def question(comparison: ComparisonResult, assumptions: list[dict[str, Any]]) -> dict:
    """The question of the report in plain words."""
    days = comparison.config.days
    options = []
    for item in assumptions[1:]:
        what = item["description"] or ", ".join(iv["title"].lower()
                                                for iv in item["interventions"])
        options.append({"label": item["label"], "what": what.strip().rstrip(".").strip()})
    months = days / 30.4
    return {"baseline": comparison.baseline, "options": options, "days": days,
            "months": f"{months:.0f}" if months >= 2 else f"{days}",
            "period": f"about {months:.0f} months" if months >= 2 else f"{days} days",
            "replicates": len(comparison.seeds)}


# ---------------------------------------------------------------------- figures


#: Figures drawn narrower than the text (square or tall ones), by key prefix.
MEDIUM_FIGURES = ("journey", "network")


@dataclass
class Figure:
    """A figure of the report: caption and PNG bytes, embedded as a data URI."""

    key: str
    caption: str
    png: bytes = field(repr=False)

    @property
    def size(self) -> str:
        """``medium`` (three quarters of the text width) or ``wide``."""
        return "medium" if self.key.startswith(MEDIUM_FIGURES) else "wide"

    @property
    def uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def figure_png(figure: Any, dpi: int = 120) -> bytes:
    """A matplotlib Figure as PNG bytes, without its overall title (the report's caption
    says it, and a long one would be cut at the figure's edges)."""
    figure.suptitle("")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def report_figures(comparison: ComparisonResult) -> dict[str, list[Figure]]:
    """The report's figures by section, from :mod:`cxsim.interfaces.plots`: ``charts``
    (headline series with 95% bands, effects with CIs, the journey heatmap of each
    scenario, burnout and turnover by department, the informal network) and
    ``economics`` (cumulative cost, revenue gain and profit with the payback day).
    Only the effects need no daily series; without them the rest is left out.

    Scenario names are drawn as plain text (``text.parse_math`` off), so a ``$`` in a
    name is never read as mathematics."""
    import matplotlib

    from cxsim.interfaces import plots

    n = len(comparison.seeds)
    series = getattr(comparison, "daily", None) is not None
    versus = f"{', '.join(comparison.scenarios)} against {comparison.baseline}"
    planned: dict[str, list[tuple[str, str, Any]]] = {"charts": [], "economics": []}
    if series:
        planned["charts"].append((
            "headline", f"Headline measures over time: {versus}. Lines: the mean over "
            f"{n} replicates of 7-day means; bands: 95% confidence intervals; dashed "
            "vertical line: the interventions start.",
            lambda: plots.headline_series(comparison)))
    planned["charts"].append((
        "effects", f"Effects against {comparison.baseline}: each scenario's mean paired "
        "difference with its 95% confidence interval (filled dot: the interval excludes "
        "zero).", lambda: plots.effects(comparison)))
    if series:
        for index, label in enumerate([comparison.baseline, *comparison.scenarios]):
            planned["charts"].append((
                f"journey-{index}", f"Customer satisfaction along the journey, month by "
                f"month: {label} (touchpoints in journey order; mean over {n} "
                "replicates).",
                lambda label=label: plots.journey_heatmap(comparison, "csat",
                                                          scenario=label)))
        planned["charts"].append((
            "departments", "Burnout and turnover by department, per scenario (mean over "
            f"{n} replicates with 95% intervals).",
            lambda: plots.department_burnout(comparison)))
        planned["charts"].append((
            "network", "The informal network at the start (the baseline's first "
            "replicate): departments as discs, ties across departments dark, within "
            "them light; few dark lines between discs mean silos.",
            lambda: plots.network(_starting_model(comparison), "department")))
        planned["economics"].append((
            "economics", f"Cumulative cost, revenue gain and profit against "
            f"{comparison.baseline} (mean over {n} replicates with 95% bands); dotted: "
            "the payback day.", lambda: plots.economics(comparison)))
    figures: dict[str, list[Figure]] = {}
    with matplotlib.rc_context({"text.parse_math": False}):
        for section, items in planned.items():
            figures[section] = [Figure(key, caption, figure_png(draw()))
                                for key, caption, draw in items]
    return figures


def responsibility_figures(result: ResponsibilityResult) -> list[Figure]:
    """The waterfall of each decomposed metric
    (:func:`cxsim.interfaces.responsibility_plot.waterfall`), for the report."""
    import matplotlib

    start, end = (("every group lagging", "as configured") if result.reference == "lagging"
                  else ("as configured", "every group at the frontier"))
    figures = []
    with matplotlib.rc_context({"text.parse_math": False}):
        for metric in result.metrics:
            caption = (f"Who carries {metric_label(metric)}: from {start} to {end}, one step "
                       f"per {result.by.replace(',', ' and ')} group (its Shapley "
                       f"contribution, largest first; whiskers: 95% intervals over "
                       f"{len(result.seeds)} replicates).")
            figures.append(Figure(f"responsibility-{metric}", caption,
                                  figure_png(waterfall(result, metric))))
    return figures


def metric_label(metric: str) -> str:
    """A summary metric's label (as ``cxsim compare`` prints it)."""
    from cxsim.interfaces.cli import METRIC_LABELS

    return METRIC_LABELS.get(metric, metric)


def _starting_model(comparison: ComparisonResult):
    """The baseline's organisation on its first day (first replicate's seed): built, not
    run."""
    from cxsim.engine.model import CXModel

    spec = first_spec(comparison, comparison.baseline)
    return CXModel(spec.config, interventions=spec.intervention_tables,
                   structure=spec.structure_tables, rng=spec.seed)


# ---------------------------------------------------------------------- HTML


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("cxsim.interfaces", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)


def build_report(comparison: ComparisonResult, scenarios: Sequence[Scenario] | None = None,
                 *, command: str | None = None, source: str | None = None,
                 title: str | None = None,
                 responsibility: ResponsibilityResult | None = None) -> str:
    """The report of ``comparison`` as one self-contained HTML document (text).

    Args:
        comparison: a :class:`~cxsim.experiments.comparisons.ComparisonResult` (run with
            ``series=True`` for the charts and the drivers section).
        scenarios: the baseline and the scenarios (as compared) for their descriptions;
            without them the assumptions come from the runs' specs alone.
        command: the command line shown in the reproducibility box.
        source: where a stored comparison was read from.
        title: the report's title (default: "<scenarios> against <baseline>").
        responsibility: a responsibility map (:func:`report_responsibility`,
            :func:`cxsim.experiments.responsibility.responsibility` or
            :func:`~cxsim.experiments.responsibility.load_responsibility`) for the "who
            carries your CX" section; without it the section is left out.
    """
    if responsibility is not None and not isinstance(responsibility, ResponsibilityResult):
        raise ParameterError(f"responsibility = {type(responsibility).__name__} is not "
                             "allowed: expected a ResponsibilityResult or None")
    if scenarios is not None and len(scenarios) != 1 + len(comparison.scenarios):
        raise ParameterError(f"scenarios = {len(scenarios)} scenarios is not allowed: "
                             f"expected the baseline and the {len(comparison.scenarios)} "
                             "compared scenario(s)")
    assumptions = scenario_assumptions(comparison, scenarios)
    try:
        drivers = experience_decomposition(comparison)
    except ParameterError:
        drivers = None
    drivers_by_scenario = {}
    if drivers is not None:
        for label in comparison.scenarios:
            drivers_by_scenario[label] = _driver_rows(drivers[drivers["scenario"] == label])
    context = {
        "title": title or (f"{', '.join(comparison.scenarios)} against "
                           f"{comparison.baseline}"),
        "sections": report_sections(responsibility is not None),
        "question": question(comparison, assumptions),
        "findings": findings(comparison),
        "assumptions": assumptions,
        "headline": {label: headline_rows(comparison, label)
                     for label in comparison.scenarios},
        "economics": {label: economics_rows(comparison, label)
                      for label in comparison.scenarios},
        "baseline": comparison.baseline,
        "scenarios": comparison.scenarios,
        "figures": report_figures(comparison),
        "drivers": drivers_by_scenario,
        "weights": experience_weights(),
        "limitations": limitations(comparison),
        "reproducibility": reproducibility(comparison, command, source, responsibility),
        "responsibility": (None if responsibility is None
                           else report_section(responsibility)),
        "responsibility_figures": ([] if responsibility is None
                                   else responsibility_figures(responsibility)),
        "discount_rate": f"{comparison.discount_rate:.1%}",
        "window": min(comparison.config.summary_window_days, comparison.config.days),
        "days": comparison.config.days,
        "replicates": len(comparison.seeds),
        "css": _stylesheet(),
    }
    return _environment().get_template("report.html.j2").render(context)


def _stylesheet() -> str:
    from importlib import resources

    return resources.files("cxsim.interfaces").joinpath("templates", "report.css").read_text(
        encoding="utf-8")


def _driver_rows(frame: pd.DataFrame) -> dict[str, Any]:
    """Formatted rows of the drivers section for one scenario."""

    def change(row) -> dict[str, Any]:
        return {"label": row["label"],
                "difference": format_difference("score", row["difference"]),
                "interval": format_interval("score", row["ci_low"], row["ci_high"],
                                            signed=True),
                "significant": bool(row["significant"])}

    def experience(row) -> dict[str, Any]:
        share = row["share"]
        return change(row) | {
            "share": f"{round(share, 2) + 0.0:.0%}" if is_finite(share) else "-",
            "csat": format_difference("share", row["csat_part"])}

    def workforce(row) -> dict[str, Any]:
        return change(row) | {"weight": f"{row['weight']:.2f}",
                              "implied": format_difference(
                                  "score", row["weight"] * row["difference"])}

    rows = [experience(row) for _, row in frame[frame["kind"] == "experience"].iterrows()]
    total = frame[(frame["kind"] == "total") & (frame["component"] == "experience")].iloc[0]
    csat = frame[(frame["kind"] == "total") & (frame["component"] == "csat")].iloc[0]
    attributable = bool(total["significant"]) and is_finite(total["share"])
    return {"experience": rows, "total": experience(total),
            "workforce": [workforce(row) for _, row in
                          frame[frame["kind"] == "workforce"].iterrows()],
            "csat": format_difference("share", csat["difference"]),
            "csat_interval": format_interval("share", csat["ci_low"], csat["ci_high"],
                                             signed=True),
            "attributable": attributable,
            "opposite": attributable and is_finite(csat["difference"])
            and csat["difference"] * total["difference"] < 0,
            "leading": _leading(frame) if attributable else ""}


def _leading(frame: pd.DataFrame) -> str:
    parts = frame[frame["kind"] == "experience"]
    top = parts.loc[parts["share"].abs().idxmax()]
    return str(top["label"])


# ---------------------------------------------------------------------- files


def find_chromium() -> str | None:
    """The Chromium binary: ``$CXSIM_CHROMIUM`` if set (None if it is not executable),
    else the first of :data:`CHROMIUM_CANDIDATES` found."""
    chosen = os.environ.get("CXSIM_CHROMIUM")
    if chosen is not None:
        return chosen if os.path.isfile(chosen) and os.access(chosen, os.X_OK) else None
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def chromium_missing_message() -> str:
    """The one-line error when ``--pdf`` finds no Chromium."""
    chosen = os.environ.get("CXSIM_CHROMIUM")
    looked = (f"CXSIM_CHROMIUM = {chosen!r} is not an executable file" if chosen is not None
              else f"looked for {', '.join(CHROMIUM_CANDIDATES)}")
    return (f"--pdf needs Chromium, which was not found ({looked}): install it (Debian: "
            "apt-get install chromium) or leave out --pdf and print the HTML to PDF from "
            "a browser")


def write_pdf(html: str | Path, pdf: str | Path, paper: str = "a4",
              chromium: str | None = None) -> Path:
    """Print the HTML file ``html`` to ``pdf`` with headless Chromium on ``paper``
    (``a4`` or ``letter``). Raises ParameterError when Chromium is missing or fails."""
    if paper not in PAPERS:
        raise ParameterError(f"--paper = {paper!r} is not allowed: expected one of "
                             + ", ".join(PAPERS))
    chromium = chromium or find_chromium()
    if chromium is None:
        raise ParameterError(chromium_missing_message())
    html, pdf = Path(html), Path(pdf)
    text = html.read_text(encoding="utf-8").replace(
        "</head>", f"<style>@page {{ size: {PAPERS[paper]}; }}</style></head>", 1)
    with tempfile.TemporaryDirectory(prefix=".cxsim-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(text, encoding="utf-8")
        profile = Path(tmp) / "profile"
        command = [chromium, *CHROMIUM_ARGS, f"--user-data-dir={profile}",
                   "--no-pdf-header-footer", f"--print-to-pdf={pdf.absolute()}",
                   page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True,
                                  timeout=PDF_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ParameterError(f"--pdf: Chromium ({chromium}) failed: {error}") from None
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ParameterError(f"--pdf: Chromium ({chromium}) could not print the report "
                             f"(exit status {done.returncode}): {last}")
    return pdf


def write_report(comparison: ComparisonResult, path: str | Path,
                 scenarios: Sequence[Scenario] | None = None, *, command: str | None = None,
                 source: str | None = None, title: str | None = None, pdf: bool = False,
                 paper: str = "a4",
                 responsibility: ResponsibilityResult | None = None) -> list[Path]:
    """Write the report of ``comparison`` to ``path`` (HTML) and, with ``pdf``, beside it
    with the suffix ``.pdf``; atomically: both are made in a temporary folder first and
    each replaces its namesake at once, so nothing half-written is ever at either path.
    Returns the paths written. See :func:`build_report` for the arguments."""
    path = check_report_path(path, pdf=pdf)
    if paper not in PAPERS:
        raise ParameterError(f"paper = {paper!r} is not allowed: expected one of "
                             + ", ".join(PAPERS))
    if pdf and find_chromium() is None:
        raise ParameterError(chromium_missing_message())
    text = build_report(comparison, scenarios, command=command, source=source, title=title,
                        responsibility=responsibility)
    pdf_name = path.with_suffix(".pdf").name

    def fill(tmp: Path) -> None:
        html = tmp / path.name
        html.write_text(text, encoding="utf-8")
        if pdf:
            write_pdf(html, tmp / pdf_name, paper)

    write_files_atomically(path.parent if str(path.parent) else Path("."), fill)
    written = [path]
    if pdf:
        written.append(path.with_suffix(".pdf"))
    return written
