"""The responsibility map for people: the printed table, the waterfall plot and the
``cxsim responsibility`` command (``cli.py`` delegates to :func:`add_parser` and
:func:`command`).

>>> from cxsim.experiments.responsibility import responsibility
>>> from cxsim.interfaces.responsibility_plot import format_table, waterfall
>>> result = responsibility("p13_cx_in_support", replicates=10)   # doctest: +SKIP
>>> print(format_table(result))                                   # doctest: +SKIP
>>> waterfall(result, "csat").savefig("who-carries-csat.png")     # doctest: +SKIP
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxsim.core.parameters import ParameterError
from cxsim.experiments.responsibility import (
    CHANNELS,
    DEFAULT_PERMUTATIONS,
    EXACT_LIMIT,
    GROUPINGS,
    REFERENCES,
    TOTAL,
    ResponsibilityResult,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Colours of the bars (Okabe-Ito: distinguishable with colour-vision deficiencies).
UP, DOWN, TOTAL_COLOUR = "#0072B2", "#D55E00", "#555555"
#: Interactions printed per metric (the largest first; all are in interactions.csv).
TOP_INTERACTIONS = 5


def _label(metric: str) -> str:
    from cxsim.interfaces.cli import METRIC_LABELS

    return METRIC_LABELS.get(metric, metric)


def _percent(share: float) -> int:
    """A share in whole percent (never "-0")."""
    return int(round(share * 100)) + 0


def format_table(result: ResponsibilityResult) -> str:
    """The printed responsibility map: per metric the configured value, the value with
    every group switched, the gap with its CI, then each group's contribution with its CI
    (``*``: the CI excludes 0), its share of the gap and its main channel; then the
    largest pairwise interactions."""
    from cxsim.interfaces.cli import format_difference, format_interval, format_value

    n = len(result.seeds)
    switched = {"lagging": "every group lagging", "frontier": "every group at the frontier"}
    method = (f"exact Shapley over {len(result.groups)} groups ({2 ** len(result.groups)} "
              "coalitions)" if result.method == "exact" else
              f"sampled Shapley over {len(result.groups)} groups ({result.permutations} "
              "permutations per replicate)")
    lines = [f"Responsibility map of {result.scenario!r} by {result.by}; reference: "
             f"{result.reference}; {n} replicates (seeds {result.seeds[0]}.."
             f"{result.seeds[-1]}); {method}; {len(result.runs)} runs"
             + (f", {result.failed} FAILED" if result.failed else "")]
    width = max(len(g) for g in result.groups + [TOTAL]) + 2
    for metric in result.metrics:
        rows = result.table[result.table["metric"] == metric]
        unit = rows["unit"].iloc[0]
        total = rows[rows["group"] == TOTAL].iloc[0]
        lines += ["", f"{_label(metric)}: configured {format_value(unit, total['configured'])},"
                  f" {switched[result.reference]} {format_value(unit, total['reference'])}"]
        lines.append(f"  {'group':<{width}}{'contribution [95% CI]':<34}{'share [95% CI]':<22}"
                     "channel")
        for _, row in rows.iterrows():
            star = " *" if row["significant"] else "  "
            value = (f"{format_difference(unit, row['contribution'], compact=True)} "
                     f"{format_interval(unit, row['ci_low'], row['ci_high'], signed=True, compact=True)}"  # noqa: E501
                     f"{star}")
            share = f"{_percent(row['share'])}%" if np.isfinite(row["share"]) else "-"
            if row["group"] != TOTAL and np.isfinite(row["share_ci_low"]):
                share += f" [{_percent(row['share_ci_low'])}, {_percent(row['share_ci_high'])}]"
            channel = CHANNELS[row["channel"]][1] if row["channel"] in CHANNELS else \
                row["channel"]
            if result.method == "sampling" and row["group"] != TOTAL:
                channel += f" (sampling se {format_difference(unit, row['sampling_se'])})"
            lines.append(f"  {row['group']:<{width}}{value:<34}{share:<22}{channel}".rstrip())
        pairs = result.interactions[result.interactions["metric"] == metric]
        if len(pairs):
            column = "interaction" if result.method == "exact" else "second_difference"
            low, high = (("ci_low", "ci_high") if column == "interaction"
                         else ("sd_ci_low", "sd_ci_high"))
            flag = "significant" if column == "interaction" else "sd_significant"
            top = pairs.reindex(pairs[column].abs().sort_values(ascending=False).index)
            name = ("Shapley interaction index" if column == "interaction"
                    else "second difference at the configured organisation")
            lines.append(f"  largest interactions ({name}; * CI excludes 0):")
            for _, row in top.head(TOP_INTERACTIONS).iterrows():
                star = " *" if row[flag] else ""
                lines.append(f"    {row['group_a']} x {row['group_b']}: "
                             f"{format_difference(unit, row[column], compact=True)} "
                             f"{format_interval(unit, row[low], row[high], signed=True, compact=True)}"  # noqa: E501
                             f"{star}")
    lines += ["", "contribution: the group's Shapley value, in the metric's unit, oriented so "
              "that positive means the group's better practice raises the metric; the "
              "contributions add up to the total gap. See docs/responsibility.md."]
    return "\n".join(lines)


def waterfall(result: ResponsibilityResult, metric: str | None = None) -> Figure:
    """A waterfall of one metric (default: the first): from the organisation with every
    group switched to the reference to the organisation as configured (lagging), or from
    as configured to every group at the frontier, one step per group (its contribution,
    with its 95% CI as a whisker), largest first."""
    from matplotlib.figure import Figure

    metric = metric or result.metrics[0]
    rows = result.table[result.table["metric"] == metric]
    if rows.empty:
        raise ParameterError(f"metric = {metric!r} is not allowed: the result decomposed "
                             + ", ".join(result.metrics))
    total = rows[rows["group"] == TOTAL].iloc[0]
    groups = rows[rows["group"] != TOTAL].sort_values("contribution", key=abs,
                                                      ascending=False)
    lagging = result.reference == "lagging"
    start, end = ((total["reference"], total["configured"]) if lagging
                  else (total["configured"], total["reference"]))
    # the contributions add up to end - start (efficiency), whatever the reference
    steps = groups["contribution"].to_numpy()
    many = len(groups) > 12  # department x level: 24 steps, narrower labels
    fig = Figure(figsize=(min(12.0, max(6.0, 1.0 + 0.8 * (len(groups) + 2))),
                          5.2 if many else 4.2))
    ax = fig.subplots()
    level = start
    names = ["all lagging" if lagging else "as configured"]
    ax.bar(0, start, color=TOTAL_COLOUR)
    for i, (step, (_, row)) in enumerate(zip(steps, groups.iterrows()), start=1):
        ax.bar(i, step, bottom=level, color=UP if step >= 0 else DOWN)
        half = (row["ci_high"] - row["ci_low"]) / 2
        if np.isfinite(half):
            ax.errorbar(i, level + step, yerr=half, color="black", capsize=3, lw=1)
        level += step
        names.append(row["group"])
    ax.bar(len(names), end, color=TOTAL_COLOUR)
    names.append("as configured" if lagging else "all at frontier")
    ax.set_xticks(range(len(names)), names, rotation=60 if many else 30, ha="right",
                  fontsize=7 if many else None)
    low = min(start, end, level) - abs(total["contribution"]) * 0.3
    high = max(start, end, level) + abs(total["contribution"]) * 0.3
    if np.isfinite(low) and np.isfinite(high) and high > low:
        ax.set_ylim(low, high)
    ax.set_ylabel(_label(metric))
    if total["unit"] == "share":
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(f"Who carries {_label(metric)}: {result.scenario}\n(groups: {result.by}; "
                 f"reference: {result.reference}; {len(result.seeds)} replicates; 95% CIs)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def write_plots(result: ResponsibilityResult, out: str | Path) -> list[Path]:
    """``responsibility_<metric>.png`` for every metric, written to ``out``."""
    paths = []
    for metric in result.metrics:
        path = Path(out) / f"responsibility_{metric}.png"
        waterfall(result, metric).savefig(path, dpi=110)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------- the report's section


#: Names of the metrics in sentences (others: their table label).
PLAIN_NAMES = {"csat": "CSAT", "nps": "NPS", "churn_rate": "customer churn",
               "revenue": "revenue", "fcr": "first-contact resolution"}
#: What a group is called in sentences, by grouping.
GROUP_WORDS = {"department": "department", "level": "level",
               "department,level": "group (department and level)"}
#: Groups named in a metric's reading (the rest are counted).
NAMED_GROUPS = 4


def _plain(metric: str) -> str:
    return PLAIN_NAMES.get(metric, _label(metric))


def _share_text(row: Any) -> str:
    if not np.isfinite(row["share"]):
        return "-"
    text = f"{_percent(row['share'])}%"
    if np.isfinite(row["share_ci_low"]):
        text += f" [{_percent(row['share_ci_low'])}, {_percent(row['share_ci_high'])}]"
    return text


def reference_description(reference: str) -> str:
    """The reference state in words, with its values (from
    :data:`cxsim.engine.interventions.REFERENCE_STATES`)."""
    from cxsim.engine.interventions import REFERENCE_STATES

    state = REFERENCE_STATES[reference]
    ties = ("gains cross-department ties (connected across silos)" if state.connected
            else "loses its informal cross-department ties (siloed)")
    return (f"{reference}: every employee of the group is held at engagement "
            f"{state.engagement:g}, CX skill {state.skill:g}, authority used "
            f"{state.empowerment:g} and customer-centricity {state.centricity:g} (0 to 1); "
            f"the group's practice levers (ownership of CX, shared metrics, guidelines, "
            f"executives' commitment, managers' coaching) go to {state.practice:g}; and the "
            f"group {ties}")


def metric_reading(result: ResponsibilityResult, metric: str) -> dict[str, Any]:
    """One metric's part of the report's section: the plain-language reading (the gap,
    the groups that carry a clear share of it with their channel, those without one),
    the table rows and the interactions whose interval excludes zero."""
    from cxsim.interfaces.formatting import format_difference, format_interval, format_value

    rows = result.table[result.table["metric"] == metric]
    unit = rows["unit"].iloc[0]
    total = rows[rows["group"] == TOTAL].iloc[0]
    groups = rows[rows["group"] != TOTAL]
    word = GROUP_WORDS[result.by]
    switched = (f"every {word} lagging" if result.reference == "lagging"
                else f"every {word} at the frontier")
    name = _plain(metric)
    sentences = [f"With {switched}, {name} would be {format_value(unit, total['reference'])}"
                 f" instead of {format_value(unit, total['configured'])} as configured: a "
                 f"gap of {format_difference(unit, total['contribution'])} "
                 f"{format_interval(unit, total['ci_low'], total['ci_high'], signed=True)}."]
    clear = groups[groups["significant"] & np.isfinite(groups["share"])].sort_values(
        "share", ascending=False)
    unclear = groups[~groups["significant"]]
    if not total["significant"]:
        sentences.append(f"This gap is not clearly different from zero over "
                         f"{len(result.seeds)} replicates, so the shares below are not "
                         "reliable; more replicates would settle them.")
    elif len(clear):
        verb = "carries" if result.reference == "lagging" else "would bring"
        parts = []
        for _, row in clear.head(NAMED_GROUPS).iterrows():
            via = CHANNELS[row["channel"]][1] if row["channel"] in CHANNELS else ""
            parts.append(f"{row['group']} {verb} {_share_text(row)} of it"
                         + (f", mainly through {via}" if via else ""))
        joined = "; ".join(parts)
        sentences.append(joined[:1].upper() + joined[1:] + "."
                         + (f" {len(clear) - NAMED_GROUPS} more carry a clear share."
                            if len(clear) > NAMED_GROUPS else ""))
    if len(unclear):
        sentences.append(f"No clear share (the interval covers zero): "
                         f"{', '.join(unclear['group'])}.")
    table = [{"group": row["group"],
              "contribution": format_difference(unit, row["contribution"]),
              "interval": format_interval(unit, row["ci_low"], row["ci_high"], signed=True),
              "share": _share_text(row) if row["group"] != TOTAL else "100%",
              "significant": bool(row["significant"]),
              "channel": (CHANNELS[row["channel"]][1] if row["channel"] in CHANNELS
                          else "" if row["group"] == TOTAL else "no clear channel")}
             for _, row in pd.concat([groups, rows[rows["group"] == TOTAL]]).iterrows()]
    return {"metric": metric, "label": _label(metric), "name": name, "unit": unit,
            "sentences": sentences, "rows": table,
            "interactions": _clear_interactions(result, metric, unit)}


def _clear_interactions(result: ResponsibilityResult, metric: str,
                        unit: str) -> list[str]:
    """The pairs whose interaction's interval excludes zero, largest first, in words."""
    from cxsim.interfaces.formatting import format_difference, format_interval

    pairs = result.interactions[result.interactions["metric"] == metric]
    if pairs.empty:
        return []
    exact = result.method == "exact"
    column, low, high, flag = (("interaction", "ci_low", "ci_high", "significant") if exact
                               else ("second_difference", "sd_ci_low", "sd_ci_high",
                                     "sd_significant"))
    clear = pairs[pairs[flag].astype(bool)]
    clear = clear.reindex(clear[column].abs().sort_values(ascending=False).index)
    out = []
    for _, row in clear.head(TOP_INTERACTIONS).iterrows():
        together = ("more together than apart" if row[column] > 0
                    else "less together than apart (they overlap)")
        out.append(f"{row['group_a']} and {row['group_b']}: "
                   f"{format_difference(unit, row[column])} "
                   f"{format_interval(unit, row[low], row[high], signed=True)}, they matter "
                   f"{together}")
    return out


def report_section(result: ResponsibilityResult) -> dict[str, Any]:
    """The content of the report's "who carries your CX" section (see
    :func:`cxsim.interfaces.report.build_report`): the method in a sentence, the
    reference state, the headline reading and one :func:`metric_reading` per metric."""
    n = len(result.seeds)
    method = (f"exact Shapley values over all {2 ** len(result.groups)} combinations of "
              f"the {len(result.groups)} groups" if result.method == "exact" else
              f"Shapley values estimated from {result.permutations} random orders of the "
              f"{len(result.groups)} groups per replicate (their sampling error is in the "
              "intervals)")
    metrics = [metric_reading(result, m) for m in result.metrics]
    first = metrics[0]
    return {"scenario": result.scenario, "by": result.by, "word": GROUP_WORDS[result.by],
            "reference": result.reference,
            "reference_text": reference_description(result.reference),
            "method": method, "replicates": n, "seeds": f"{result.seeds[0]}.."
            f"{result.seeds[-1]}", "runs": len(result.runs), "failed": result.failed,
            "headline": " ".join(first["sentences"][1:2]) or first["sentences"][0],
            "metrics": metrics}


# ---------------------------------------------------------------------- the command


def add_parser(sub: Any) -> None:
    """The ``cxsim responsibility`` parser."""
    parser = sub.add_parser(
        "responsibility", help="who carries your CX: Shapley shares of departments or levels",
        description="Decompose the gap between a scenario as configured and every group "
        "(department, level or both) switched to a reference state of practice into each "
        "group's Shapley share, with 95% CIs over replicates, interactions and the channel "
        "each group works through. Runs on the sweep backends; resumable with --out. See "
        "docs/responsibility.md.")
    parser.add_argument("scenario", help="a scenario file (TOML) or a library scenario's name")
    parser.add_argument("--by", default="department",
                        help=f"grouping: {', '.join(GROUPINGS)} (default %(default)s)")
    parser.add_argument("--groups", help="only these groups (names separated by commas; "
                        "default: every group of --by)")
    parser.add_argument("--metric", help="metrics separated by commas (default "
                        "csat,nps,churn_rate,revenue)")
    parser.add_argument("--reference", default="lagging",
                        help=f"reference state: {', '.join(REFERENCES)} (default %(default)s)")
    parser.add_argument("--replicates", required=True, help="seeds (at least 2)")
    parser.add_argument("--permutations", help="permutations per replicate when more than "
                        f"{EXACT_LIMIT} groups are sampled (default {DEFAULT_PERMUTATIONS})")
    parser.add_argument("--seed", help="seed of the first replicate (default: the scenario's, "
                        "else 1)")
    parser.add_argument("--workers", help="local worker processes (default: the machine's "
                        "cores); with --scheduler local, Dask workers")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler address "
                        "(tcp://host:8786), or local to start a LocalCluster")
    parser.add_argument("--out", type=Path, help="the analysis's store (new, empty, or its "
                        "earlier store to resume); also gets responsibility.csv, "
                        "interactions.csv and responsibility_<metric>.png")
    from cxsim.interfaces.cli import _add_overrides

    _add_overrides(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def command(args: argparse.Namespace) -> int:
    """Run ``cxsim responsibility``: check everything, run (or resume), print, write."""
    from cxsim.experiments.backends import check_scheduler
    from cxsim.experiments.output import check_output_dir
    from cxsim.experiments.responsibility import plan_runs, responsibility
    from cxsim.interfaces.cli import _int_option, _overrides, _with_flags

    replicates = _int_option(args.replicates, "--replicates", 2, 100_000)
    workers = _int_option(args.workers, "--workers", 1, 1024)
    seed = _int_option(args.seed, "--seed", 0, 2**62)
    permutations = _int_option(args.permutations, "--permutations", 2, 100_000)
    scheduler = check_scheduler(args.scheduler) if args.scheduler is not None else None
    if args.out is not None:
        check_output_dir(args.out)
    options = dict(by=args.by, metrics=args.metric, replicates=replicates,
                   reference=args.reference, groups=args.groups, seed=seed,
                   permutations=permutations or DEFAULT_PERMUTATIONS,
                   overrides=_overrides(args))
    try:
        plan_runs(args.scenario, **options)  # every check, before any worker starts
    except ParameterError as error:
        raise _with_flags(error) from None
    result = responsibility(args.scenario, **options, workers=workers, scheduler=scheduler,
                            out=args.out, progress=not args.quiet)
    print(format_table(result))
    if args.out is not None:
        written = result.save(args.out) + write_plots(result, args.out)
        print(f"\nWrote {', '.join(p.name for p in written)} to {args.out}/ "
              f"(the runs: {args.out}/runs)")
    return 0


__all__ = ["add_parser", "command", "format_table", "metric_reading", "report_section",
           "waterfall", "write_plots"]
