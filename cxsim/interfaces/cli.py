"""Command line: ``cxsim run``, ``cxsim compare``, ``cxsim sweep``, ``cxsim sensitivity``
and ``cxsim params``.

Errors in the user's input (unknown parameter, value out of range, bad
scenario file) print one line naming the field, the value and what is allowed,
and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
from pathlib import Path

import numpy as np

from cxsim.core.parameters import (
    PARAMETERS,
    SECTIONS,
    ParameterError,
    parameters_markdown,
    parse_assignment,
)
from cxsim.experiments.comparisons import DEFAULT_DISCOUNT_RATE
from cxsim.experiments.output import check_output_dir, write_files_atomically
from cxsim.experiments.scenarios import Scenario, load_scenario
from cxsim.results import SEED_LIMIT, SUMMARY_UNITS, draw_seed

#: Rows of the printed summary: (label, summary key). Units come from SUMMARY_UNITS.
SUMMARY_ROWS = (
    ("CSAT (top-two-box)", "csat"),
    ("NPS (points)", "nps"),
    ("First-contact resolution", "fcr"),
    ("Contacts per resolved problem", "contacts_per_resolution"),
    ("Days to resolution", "time_to_resolution"),
    ("Interaction quality (mean, 0-1)", "quality_mean"),
    ("Experience consistency (0-1)", "consistency"),
    ("Employees engaged", "engagement_share"),
    ("Employees burnt out", "burnout_share"),
    ("Revenue per day (currency)", "revenue_per_day"),
)
TOTAL_ROWS = (
    ("Active customers (final day)", "active_customers"),
    ("Customer churn (per year)", "churn_rate"),
    ("Employee turnover (per year)", "turnover_rate"),
    ("Revenue, interv. period (currency)", "revenue"),
    ("Intervention cost (currency)", "intervention_cost"),
    ("Hiring cost (currency)", "hiring_cost"),
)
#: Labels of the metrics ``cxsim compare`` prints.
METRIC_LABELS = {key: label for label, key in SUMMARY_ROWS + TOTAL_ROWS} | {
    "training_completion": "Employees trained (last 90 days)",
    "promoter_share": "Customers who are promoters",
}
#: Labels of the economic quantities ``cxsim compare`` prints.
ECONOMICS_LABELS = {
    "intervention_cost": "Intervention cost",
    "revenue_difference": "Revenue difference",
    "staff_cost_difference": "Staff cost difference",
    "hiring_cost_difference": "Hiring cost difference",
    "profit_difference": "Profit difference",
    "roi": "ROI (profit diff. / cost)",
    "payback_day": "Payback (intervention day)",
    "npv": "NPV of the profit difference",
}
#: The options that override a parameter, with the parameter they set.
SIZE_FLAGS = (("days", "--days", "run.days"), ("employees", "--employees",
                                               "organisation.n_employees"),
              ("customers", "--customers", "customers.n_customers"))

#: Above this many customer-days a run takes several seconds: show a progress bar.
PROGRESS_CUSTOMER_DAYS = 20_000_000


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    """The parameter overrides shared by ``run`` and ``compare``."""
    parser.add_argument("--days", help="days after the warm-up (run.days)")
    parser.add_argument("--employees", help="employee positions (organisation.n_employees)")
    parser.add_argument("--customers", help="initial customers (customers.n_customers)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any parameter, e.g. --set organisation.silo_strength=0.4")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxsim", description="Agent-based simulation of organisational CX culture.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario (the built-in default if none is given)",
                         description="Run a scenario with one seed and print its summary. "
                         "For an intervention's effect use 'cxsim compare'.")
    run.add_argument("scenario", nargs="?",
                     help="scenario file (TOML) or a library scenario's name (see cxsim "
                          "scenarios); default: built-in")
    run.add_argument("--seed", help="random seed (default: the scenario's, else drawn and "
                     "printed)")
    run.add_argument("--out", type=Path, help="write summary.json, CSVs and a plot here")
    _add_overrides(run)
    bar = run.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="always show a progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_false",
                     help="never show a progress bar")
    _add_compare_parser(sub)
    _add_sweep_parsers(sub)
    params = sub.add_parser("params", help="list every parameter with its range and default")
    params.add_argument("section", nargs="?", choices=SECTIONS, help="only this section")
    params.add_argument("--markdown", action="store_true",
                        help="print the reference table in Markdown (docs/parameters.md)")
    _add_scenario_commands(sub)
    _add_dashboard_parser(sub)
    return parser


def _add_scenario_commands(sub: argparse._SubParsersAction) -> None:
    """``cxsim schema`` and ``cxsim scenarios``."""
    schema = sub.add_parser(
        "schema", help="print the JSON Schema of scenario files (for editor completion)",
        description="Print the JSON Schema of scenario files, generated from the definitions "
                    "the validator uses.")
    kind = schema.add_mutually_exclusive_group()
    kind.add_argument("--markdown", action="store_true",
                      help="print the field reference instead (docs/scenario-reference.md)")
    kind.add_argument("--sweep", action="store_true",
                      help="print the JSON Schema of sweep specs instead (docs/sweeps.md)")
    sub.add_parser("scenarios", help="list the scenario library, one line each",
                   description="List the library's scenarios (use a name with cxsim run).")


def _scenario_command(args: argparse.Namespace) -> int | None:
    """Run ``schema`` or ``scenarios``; None for any other command."""
    if args.command == "schema":
        from cxsim.experiments.schema import (
            scenario_json_schema_text,
            scenario_reference_markdown,
            sweep_json_schema_text,
        )

        if args.sweep:
            return _print_all(sweep_json_schema_text())

        return _print_all(scenario_reference_markdown() if args.markdown
                          else scenario_json_schema_text())
    if args.command == "scenarios":
        from cxsim.experiments.scenarios import library_descriptions

        rows = library_descriptions()
        width = max(len(name) for name, _ in rows)
        return _print_all("".join(f"{name:<{width}}  {description}\n"
                                  for name, description in rows))
    return None


def _print_all(text: str) -> int:
    """Print ``text``; a reader that stops early (``cxsim scenarios | head``) is not an error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout again at exit
    return 0


def _add_compare_parser(sub) -> None:
    compare = sub.add_parser(
        "compare", help="compare scenarios with a baseline over replicates (effects, CIs, ROI)",
        description="Run a baseline and scenarios with the same seeds (seed, seed+1, ...), "
        "sharing each seed's warm-up, and print each scenario's mean with a 95%% CI, its "
        "paired difference from the baseline with a 95%% CI, and the economics. See "
        "docs/comparisons.md.")
    compare.add_argument("baseline",
                         help="baseline: a scenario file (TOML) or a library scenario's name")
    compare.add_argument("scenarios", nargs="+", metavar="scenario",
                         help="scenario files (TOML) or library names to compare with the "
                              "baseline")
    compare.add_argument("--replicates", required=True,
                         help="seeds per scenario (at least 2 for confidence intervals)")
    compare.add_argument("--workers", help="worker processes (default: the machine's cores); "
                         "results do not depend on it")
    compare.add_argument("--seed", help="seed of the first replicate (default: the "
                         "baseline's, else drawn and printed)")
    _add_overrides(compare)
    compare.add_argument("--discount-rate", default=str(DEFAULT_DISCOUNT_RATE),
                         help="annual discount rate of the NPV (default %(default)s)")
    compare.add_argument("--out", type=Path, help="write CSV and JSON (and every run's spec), "
                         "and the daily series as Parquet, to this directory (new, empty, or "
                         "an earlier compare output)")
    compare.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_sweep_parsers(sub) -> None:
    """``cxsim sweep`` and ``cxsim sensitivity``."""
    sweep = sub.add_parser(
        "sweep", help="run a sweep spec (points x replicates) into a resumable Parquet store",
        description="Run every (point, replicate) of a sweep spec on a local process pool or "
        "a Dask cluster, storing each finished run at once in --out (resume: run the same "
        "command again). See docs/sweeps.md.")
    sweep.add_argument("spec", nargs="?", help="sweep spec (TOML)")
    sweep.add_argument("--status", metavar="DIR", type=Path,
                       help="show done, pending and failed runs of the store in DIR")
    sensitivity = sub.add_parser(
        "sensitivity", help="Morris or Sobol sensitivity indices of a sweep spec",
        description="Run (or resume) a morris or sobol sweep and print sensitivity indices "
        "with confidence intervals per metric; writes sensitivity.csv and "
        "tornado_<metric>.png to --out. See docs/sweeps.md.")
    sensitivity.add_argument("spec", help="sweep spec (TOML) with design morris or sobol")
    sensitivity.add_argument("--metric", action="append", metavar="NAME",
                             help="summary metric to analyse (repeatable; default: the "
                                  "spec's outputs)")
    for command in (sweep, sensitivity):
        command.add_argument("--out", type=Path, help="the sweep's store (new, empty, or this "
                             "sweep's earlier store to resume)")
        command.add_argument("--workers", help="local worker processes (default: the "
                             "machine's cores); with --scheduler local, Dask workers")
        command.add_argument("--scheduler", metavar="ADDRESS",
                             help="a Dask scheduler address (tcp://host:8786), or local to "
                                  "start a LocalCluster")
        command.add_argument("--quiet", action="store_true", help="no progress bar")


def _sweep_inputs(args: argparse.Namespace):
    """The validated spec, out, workers and scheduler of ``sweep``/``sensitivity``."""
    from cxsim.experiments.backends import check_scheduler
    from cxsim.experiments.sweeps import load_sweep_spec

    if args.spec is None:
        raise ParameterError("sweep: a SPEC file is missing: expected cxsim sweep SPEC --out "
                             "DIR, or cxsim sweep --status DIR")
    if args.out is None:
        raise ParameterError("--out is missing: expected the directory of the sweep's store")
    workers = _int_option(args.workers, "--workers", 1, 1024)
    scheduler = check_scheduler(args.scheduler) if args.scheduler is not None else None
    check_output_dir(args.out)
    return load_sweep_spec(args.spec), args.out, workers, scheduler


def _sweep(args: argparse.Namespace) -> int:
    if args.status is not None:
        if args.spec is not None:
            raise ParameterError("--status is not allowed with a SPEC: expected cxsim sweep "
                                 "--status DIR")
        return _print_all(format_status(args.status))
    from cxsim.experiments.sweeps import run_sweep

    spec, out, workers, scheduler = _sweep_inputs(args)
    frame = run_sweep(spec, out, workers=workers, scheduler=scheduler,
                      progress=not args.quiet)
    failed = int((frame["status"] == "failed").sum())
    print(f"sweep {spec.name!r}: {len(frame) - failed} runs done, {failed} failed, "
          f"stored in {out}/runs")
    if failed:
        print(f"see the errors with: cxsim sweep --status {out}")
    return 0


def format_status(out: Path) -> str:
    """The ``cxsim sweep --status`` text: counts, then each failed run's error."""
    from cxsim.experiments.store import store_status

    status = store_status(out)
    lines = [f"{out}: {status.total} runs: {status.done} done, {status.pending} pending, "
             f"{len(status.failed)} failed"]
    for run_hash, error in sorted(status.failed.items()):
        lines.append(f"  failed {run_hash[:12]}: {error.splitlines()[0] if error else ''}")
    return "\n".join(lines) + "\n"


def _sensitivity(args: argparse.Namespace) -> int:
    from cxsim.experiments.sensitivity import format_table, run_sensitivity
    from cxsim.interfaces.plots import write_tornados

    spec, out, workers, scheduler = _sweep_inputs(args)
    metrics = args.metric or list(spec.metrics)
    frame = run_sensitivity(spec, out, metrics, workers=workers, scheduler=scheduler,
                            progress=not args.quiet)
    print(format_table(frame))
    # metrics that do not vary over the sweep are skipped (format_table names them)
    plots = ", ".join(path.name for path in write_tornados(frame, out))
    print(f"\nWrote sensitivity.csv, {plots} to {out}/")
    return 0


def _add_dashboard_parser(sub) -> None:
    dashboard = sub.add_parser(
        "dashboard", help="serve the trainer's dashboard (Mesa SolaraViz) to a browser",
        description="Serve the live dashboard of a scenario: sliders for the main levers, "
                    "Step/Play/Reset, live plots, the network and presets (docs/dashboard.md).")
    dashboard.add_argument("scenario", nargs="?", default="baseline",
                           help="scenario file (TOML) or a library scenario's name; "
                                "default: baseline")
    dashboard.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default 127.0.0.1: this machine only; "
                                "0.0.0.0 lets others on the network connect)")
    dashboard.add_argument("--port", help="port to listen on (default 8765)")


def _dashboard(args: argparse.Namespace) -> int:
    from cxsim.interfaces.dashboard import DEFAULT_PORT, serve

    if args.port is not None and not args.port.isprintable():
        raise ParameterError(f"--port = {args.port!r} is not allowed: expected an integer "
                             "from 1 to 65535")
    port = _int_option(args.port, "--port", 1, 65535)
    return serve(args.scenario, host=args.host, port=DEFAULT_PORT if port is None else port)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        done = _scenario_command(args)
        if done is not None:
            return done
        if args.command == "params":
            if args.markdown:
                print(parameters_markdown(), end="")
                return 0
            return _params(args.section)
        if args.command == "compare":
            return _compare(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "sensitivity":
            return _sensitivity(args)
        if args.command == "dashboard":
            return _dashboard(args)
        return _run(args)
    except ParameterError as error:
        for line in str(error).splitlines():  # every error of a file, one line each
            print(f"cxsim: error: {line}", file=sys.stderr)
        return 2


def _int_option(text: str | None, flag: str, low: int, high: int | None = None) -> int | None:
    """An integer option given as text, or ParameterError naming the flag."""
    if text is None:
        return None
    allowed = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"
    try:
        value = int(text.strip())
    except ValueError:
        raise ParameterError(f"{flag} = {text} is not allowed: expected {allowed}") from None
    if value < low or (high is not None and value > high):
        raise ParameterError(f"{flag} = {text} is not allowed: expected {allowed}")
    return value


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    """The parameter overrides of ``--days``, ``--employees``, ``--customers`` and ``--set``."""
    overrides: dict[str, str] = {}
    for attribute, _, key in SIZE_FLAGS:
        value = getattr(args, attribute)
        if value is not None:
            overrides[key] = value
    for text in args.set:
        key, value = parse_assignment(text)
        overrides[key] = value
    return overrides


def _with_flags(error: ParameterError) -> ParameterError:
    """``error`` with the parameter a size option sets shown as that option too."""
    message = str(error)
    for _, flag, key in SIZE_FLAGS:
        message = message.replace(f"{key} =", f"{flag} ({key}) =")
    return ParameterError(message)


def _seed_line(seed: int, drawn: bool) -> str:
    return f"seed {seed} (drawn; repeat with --seed {seed})" if drawn else f"seed {seed}"


def _run(args: argparse.Namespace) -> int:
    from cxsim.results import draw_seed, run

    seed = _int_option(args.seed, "--seed", 0, SEED_LIMIT - 1)
    if args.out is not None:
        check_output_dir(args.out)
    scenario = load_scenario(args.scenario) if args.scenario else Scenario(name="default")
    try:
        config = scenario.config.with_overrides(_overrides(args))
    except ParameterError as error:
        raise _with_flags(error) from None
    drawn = seed is None and scenario.seed is None
    if seed is None:
        seed = draw_seed() if drawn else scenario.seed
    progress = args.progress
    if progress is None:
        customer_days = config.n_customers * (config.burn_in_days + config.days)
        progress = customer_days > PROGRESS_CUSTOMER_DAYS
    result = run(config, seed=seed, interventions=scenario.interventions,
                 structure=scenario.structure, progress=progress)
    summary = result.summary()
    print(format_summary(scenario, result.config, _seed_line(seed, drawn), summary))
    if args.out is not None:
        from cxsim.interfaces.plots import run_figure

        out = write_files_atomically(
            args.out, lambda tmp: result.save(tmp, title=f"cxsim: {scenario.name}",
                                              figure=run_figure))
        print(f"\nWrote {', '.join(result.files())} to {out}/")
    return 0


def format_summary(scenario: Scenario, config, seed: int | str, summary: dict) -> str:
    """A readable summary of one run: the end of the warm-up against the final window,
    and their difference labelled as the drift within this run (not an effect)."""
    seed_text = seed if isinstance(seed, str) else f"seed {seed}"
    lines = [
        f"cxsim: scenario '{scenario.name}', {seed_text}: {config.n_employees:,} employees, "
        f"{config.n_customers:,} customers, {config.burn_in_days} warm-up days + "
        f"{config.days} days",
    ]
    if scenario.interventions:
        lines.append("interventions: " + ", ".join(
            f"{iv.kind} (day {iv.start})" for iv in scenario.interventions))
    final_days = summary.get("final_window_days", config.summary_window_days)
    base_days = summary.get("baseline_window_days")
    base_head = f"(last {base_days} d)" if base_days else "(none)"
    width = 40 + 13 + 13 + 17
    lines += ["", f"{'metric':<40}{'warm-up end':>13}{'final':>13}{'drift in run':>17}",
              f"{'':<40}{base_head:>13}{f'(last {final_days} d)':>13}", "-" * width]
    for label, key in SUMMARY_ROWS:
        unit = SUMMARY_UNITS[key]
        final = summary.get(key, float("nan"))
        base = summary.get(f"baseline_{key}", float("nan"))
        drift = final - base if _finite(base) and _finite(final) else float("nan")
        lines.append(f"{label:<40}{format_value(unit, base):>13}"
                     f"{format_value(unit, final):>13}{format_difference(unit, drift):>17}")
    lines.append("-" * width)
    for label, key in TOTAL_ROWS:
        lines.append(f"{label:<40}{'':>13}{format_value(SUMMARY_UNITS[key], summary.get(key)):>13}")
    w = config.summary_window_days
    notes = []
    if final_days < w:
        notes.append(f"Note: the final window has {final_days} days, fewer than "
                     f"run.summary_window_days = {w}, because run.days = {config.days}; it "
                     "holds only days after the warm-up.")
    if base_days is not None and base_days < w:
        notes.append(f"Note: the warm-up window has {base_days} days, fewer than "
                     f"run.summary_window_days = {w}, because run.burn_in_days = "
                     f"{config.burn_in_days}.")
    notes.append(
        "'drift in run' is the change inside this one run, from the end of the warm-up to "
        "the final window: it mixes any effect of the interventions with the organisation's "
        "own drift and the noise of one seed, so it is not an effect. Shares are in %, their "
        "changes in percentage points (pp); NPS in points (pts); money in the currency of "
        "economics.revenue_per_customer. For effects against a same-seed baseline over "
        "replicates, with confidence intervals and ROI, use:")
    lines += [""] + [textwrap.fill(note, width) for note in notes]
    lines.append("    cxsim compare BASELINE.toml SCENARIO.toml --replicates 20")
    return "\n".join(lines)


def _compare(args: argparse.Namespace) -> int:
    from cxsim.experiments.comparisons import (
        MARKER,
        check_discount_rate,
        compare,
        plan,
    )

    replicates = _int_option(args.replicates, "--replicates", 1, 100_000)
    workers = _int_option(args.workers, "--workers", 1, 1024)
    seed = _int_option(args.seed, "--seed", 0, SEED_LIMIT - 1)
    try:
        discount_rate = check_discount_rate(float(args.discount_rate), "--discount-rate")
    except ValueError:
        raise ParameterError(f"--discount-rate = {args.discount_rate} is not allowed: "
                             "expected a number from 0 to 1 (per year, e.g. 0.08)") from None
    if args.out is not None:
        check_output_dir(args.out, marker=MARKER)
    baseline = load_scenario(args.baseline)
    scenarios = [load_scenario(path) for path in args.scenarios]
    overrides = _overrides(args)
    drawn = seed is None and baseline.seed is None
    if seed is None:
        seed = draw_seed() if drawn else baseline.seed
    try:
        plan(baseline, scenarios, replicates, seed, overrides)  # every check, before any run
    except ParameterError as error:
        raise _with_flags(error) from None
    result = compare(baseline, scenarios, replicates=replicates, workers=workers, seed=seed,
                     overrides=overrides, discount_rate=discount_rate,
                     progress=not args.quiet)
    print(format_comparison(result, _seed_line(seed, drawn)))
    if args.out is not None:
        out = result.save(args.out)
        print(f"\nWrote {', '.join(result.files())} to {out}/")
    return 0


def format_comparison(result, seed_text: str = "") -> str:
    """The printed table of ``cxsim compare``: per scenario, each metric's mean with its
    95% CI beside the baseline's, and the paired difference with its CI; then economics."""
    config = result.config
    n = len(result.seeds)
    seeds = (f"seeds {result.seeds[0]}..{result.seeds[-1]}" if n > 1
             else f"seed {result.seeds[0]}")
    if seed_text and "drawn" in seed_text:
        seeds += f" (drawn; repeat with --seed {result.seeds[0]})"
    header = [
        f"cxsim compare: {len(result.scenarios)} scenario(s) against '{result.baseline}', "
        f"{n} replicates ({seeds}): {config.n_employees:,} employees, "
        f"{config.n_customers:,} customers, {config.burn_in_days} warm-up days + "
        f"{config.days} days; survey and service metrics over the last "
        f"{min(config.summary_window_days, config.days)} days, totals over the "
        f"{config.days}-day intervention period.",
        f"Means with 95% CI [low, high] over replicates; difference = scenario - baseline, "
        f"paired by seed; * = its CI excludes zero. Shares in %, their differences in "
        f"percentage points (pp); NPS in points (pts); money in currency units "
        f"({result.elapsed_seconds:.0f} s).",
    ]
    lines = [textwrap.fill(text, 115) for text in header]
    summary = result.summary.set_index(["scenario", "metric"])
    cell = 27
    for label in result.scenarios:
        base_name, name = result.baseline[:cell - 2], label[:cell - 2]
        lines += ["", f"{'metric':<38}{base_name:>{cell}}{name:>{cell}}{'difference':>{cell}}",
                  "-" * (38 + 3 * cell + 2)]
        for metric, text in METRIC_LABELS.items():
            if (label, metric) not in summary.index:
                continue
            b, s = summary.loc[(result.baseline, metric)], summary.loc[(label, metric)]
            unit = b["unit"]
            mark = " *" if s["significant"] else "  "
            interval = format_interval(unit, s["difference_ci_low"], s["difference_ci_high"],
                                       signed=True, compact=True)
            diff = f"{format_difference(unit, s['difference'], compact=True)} {interval}"
            lines.append(f"{text[:37]:<38}{_mean_ci(unit, b):>{cell}}"
                         f"{_mean_ci(unit, s):>{cell}}{diff:>{cell}}{mark}")
    economics = result.economics.set_index(["scenario", "quantity"])
    width = 30 + 34 * len(result.scenarios)
    lines += ["", f"Economics against '{result.baseline}' over the intervention period "
              f"(currency; mean [95% CI]; NPV at {result.discount_rate:.1%} a year, "
              "discounted daily):",
              f"{'quantity':<30}" + "".join(f"{label[:32]:>34}" for label in result.scenarios),
              "-" * width]
    for quantity, text in ECONOMICS_LABELS.items():
        row = f"{text:<30}"
        for label in result.scenarios:
            e = economics.loc[(label, quantity)]
            if e["defined_share"] < 1:
                undefined = round((1 - e["defined_share"]) * n)
                reason = {"roi": "no cost", "payback_day": "never"}.get(quantity, "undefined")
                value = f"{reason} in {undefined}/{n} runs"
            else:
                value = (f"{format_value(e['unit'], e['mean'], compact=True)} "
                         f"{format_interval(e['unit'], e['ci_low'], e['ci_high'], compact=True)}"
                         + (" *" if e["significant"] else ""))
            row += f"{value:>34}"
        lines.append(row)
    lines.append(textwrap.fill(
        "Payback: the first intervention day from which the cumulative profit difference "
        "stays >= 0. ROI: profit difference (net of the intervention cost) / intervention "
        "cost. Money: k = thousand, M = million, bn = billion (full values in --out).", 115))
    return "\n".join(lines)


def _mean_ci(unit: str, row) -> str:
    interval = format_interval(unit, row["ci_low"], row["ci_high"], compact=True)
    return f"{format_value(unit, row['mean'], compact=True)} {interval}"


#: Display of each unit: (scale, format of a value, format of a difference, suffix of a
#: difference).
UNIT_FORMATS = {
    "share": (100.0, "{:.1f}%", "{:+.1f}", " pp"),
    "points": (1.0, "{:+.1f}", "{:+.1f}", " pts"),
    "money": (1.0, "{:,.0f}", "{:+,.0f}", ""),
    "money_per_day": (1.0, "{:,.0f}", "{:+,.0f}", ""),
    "count": (1.0, "{:,.0f}", "{:+,.0f}", ""),
    "days": (1.0, "{:.1f}", "{:+.1f}", " d"),
    "contacts": (1.0, "{:.2f}", "{:+.2f}", ""),
    "score": (1.0, "{:.3f}", "{:+.3f}", ""),
    "ratio": (100.0, "{:+.0f}%", "{:+.0f}", " pp"),
}


def format_value(unit: str, value, compact: bool = False) -> str:
    """``value`` in its unit's display (shares in %, money with thousands separators, or
    with k/M/bn when ``compact``)."""
    if not _finite(value):
        return "-"
    if compact and unit in MONEY_UNITS:
        return _compact_money(value, signed=False)
    scale, fmt, _, _ = UNIT_FORMATS.get(unit, UNIT_FORMATS["score"])
    return fmt.format(value * scale)


def format_difference(unit: str, value, compact: bool = False) -> str:
    """A difference in its unit's display: shares in percentage points (pp), NPS in
    points (pts), never a relative percent."""
    if not _finite(value):
        return "-"
    if compact and unit in MONEY_UNITS:
        return _compact_money(value, signed=True)
    scale, _, fmt, suffix = UNIT_FORMATS.get(unit, UNIT_FORMATS["score"])
    return fmt.format(value * scale) + suffix


def format_interval(unit: str, low, high, signed: bool = False, compact: bool = False) -> str:
    """``[low, high]`` in the unit's display scale (no unit symbols)."""
    if not (_finite(low) and _finite(high)):
        return "[-]"
    if compact and unit in MONEY_UNITS:
        return f"[{_compact_money(low, signed)}, {_compact_money(high, signed)}]"
    scale, value_fmt, diff_fmt, _ = UNIT_FORMATS.get(unit, UNIT_FORMATS["score"])
    fmt = diff_fmt if signed or unit in ("points", "ratio") else value_fmt.replace("%", "")
    return f"[{fmt.format(low * scale)}, {fmt.format(high * scale)}]"


MONEY_UNITS = ("money", "money_per_day")


def _compact_money(value: float, signed: bool) -> str:
    sign = "+" if signed else ""
    for threshold, size, suffix in ((1e9, 1e9, "bn"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= threshold:
            digits = 1 if suffix == "k" else 2
            return f"{value / size:{sign},.{digits}f}{suffix}"
    return f"{value:{sign},.0f}"


def _finite(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and math.isfinite(x)


def _params(section: str | None) -> int:
    current = None
    for p in PARAMETERS:
        if section and p.section != section:
            continue
        if p.section != current:
            current = p.section
            print(f"\n[{current}]")
        print(f"  {p.name:<26} default {p.default!s:<9} {p.allowed()}")
        print(f"  {'':<26} {p.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
