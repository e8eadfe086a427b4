"""Command line: ``cxsim run``, ``cxsim compare``, ``cxsim sweep``, ``cxsim sensitivity``
and ``cxsim params``.

Errors in the user's input (unknown parameter, value out of range, bad
scenario file) print one line naming the field, the value and what is allowed,
and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path

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
from cxsim.interfaces.formatting import format_difference, format_interval, format_value
from cxsim.interfaces.formatting import is_finite as _finite
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
    _add_report_parser(sub)
    _add_sweep_parsers(sub)
    _add_calibrate_parser(sub)
    params = sub.add_parser("params", help="list every parameter with its range and default")
    params.add_argument("section", nargs="?", choices=SECTIONS, help="only this section")
    params.add_argument("--markdown", action="store_true",
                        help="print the reference table in Markdown (docs/parameters.md)")
    _add_scenario_commands(sub)
    _add_validate_parser(sub)
    _add_responsibility_parser(sub)
    _add_dashboard_parser(sub)
    return parser


def _add_responsibility_parser(sub) -> None:
    """``cxsim responsibility`` (parser in cxsim/interfaces/responsibility_plot.py)."""
    from cxsim.interfaces.responsibility_plot import add_parser

    add_parser(sub)


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
        "sharing each seed's warm-up, and print each scenario's mean with a 95% CI, its "
        "paired difference from the baseline with a 95% CI, and the economics. See "
        "docs/comparisons.md.")
    _add_comparison_options(compare, replicates_required=True)
    compare.add_argument("--out", type=Path, help="write CSV and JSON (and every run's spec), "
                         "and the daily series as Parquet, to this directory (new, empty, or "
                         "an earlier compare output)")
    compare.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_comparison_options(parser: argparse.ArgumentParser,
                            replicates_required: bool) -> None:
    """The scenarios and options of a comparison, shared by ``compare`` and ``report``."""
    parser.add_argument("baseline",
                        help="baseline: a scenario file (TOML) or a library scenario's name")
    parser.add_argument("scenarios", nargs="+", metavar="scenario",
                        help="scenario files (TOML) or library names to compare with the "
                             "baseline")
    parser.add_argument("--replicates", required=replicates_required,
                        help="seeds per scenario (at least 2 for confidence intervals)")
    parser.add_argument("--workers", help="worker processes (default: the machine's cores); "
                        "results do not depend on it")
    parser.add_argument("--seed", help="seed of the first replicate (default: the "
                        "baseline's, else drawn and printed)")
    _add_overrides(parser)
    parser.add_argument("--discount-rate", default=str(DEFAULT_DISCOUNT_RATE),
                        help="annual discount rate of the NPV (default %(default)s)")


def _add_report_parser(sub) -> None:
    report = sub.add_parser(
        "report", help="a self-contained HTML report of a comparison (tables, charts, "
        "economics, drivers), optionally also as PDF",
        description="Run a comparison as cxsim compare does (same options), or read one "
        "stored by cxsim compare --out with --from DIR, and write one self-contained, "
        "printable HTML file: the question, assumptions, results with 95% CIs, charts, "
        "economics, what drives the effect, limitations, reproducibility. See docs/report.md.")
    _add_comparison_options(report, replicates_required=False)
    report.add_argument("--out", type=Path, required=True,
                        help="the HTML file to write (replaced atomically)")
    report.add_argument("--from", dest="stored", type=Path, metavar="DIR",
                        help="read the comparison stored by cxsim compare --out DIR instead of "
                             "running it (it must hold the named scenarios)")
    report.add_argument("--pdf", action="store_true",
                        help="also print it to PDF (same name, .pdf) with headless Chromium")
    report.add_argument("--paper", choices=("a4", "letter"), default="a4",
                        help="paper size of the PDF (default %(default)s)")
    report.add_argument("--title", help="the report's title (default: the scenarios' names)")
    who = report.add_mutually_exclusive_group()
    who.add_argument("--responsibility", metavar="BY",
                     help="add the 'who carries your CX' section: the baseline's "
                     "responsibility map by department, level or department,level, with the "
                     "report's replicates (at least 2), seeds and size; 2^groups runs per "
                     "replicate (256 by department), so it takes longer than the comparison "
                     "(docs/responsibility.md)")
    who.add_argument("--responsibility-from", type=Path, metavar="DIR",
                     help="add that section from the map stored by cxsim responsibility "
                     "--out DIR (of one of the report's scenarios, with the same size and "
                     "--set overrides)")
    report.add_argument("--quiet", action="store_true", help="no progress bar")


def _report(args: argparse.Namespace) -> int:
    from cxsim.experiments.responsibility import load_responsibility
    from cxsim.interfaces.report import (
        check_report_path,
        check_stored_comparison,
        chromium_missing_message,
        comparison_scenario,
        find_chromium,
        report_responsibility,
        write_report,
    )

    def check_output() -> None:
        check_report_path(args.out, pdf=args.pdf)
        if args.pdf and find_chromium() is None:
            raise ParameterError(chromium_missing_message())

    if args.title is not None and not args.title.strip():
        raise ParameterError("--title = '' is not allowed: expected a text, or leave it out")
    grouping = _report_grouping(args)
    scenarios = None
    stored_map = None
    if args.stored is not None:
        given = [flag for flag, value in (
            ("--replicates", args.replicates), ("--workers", args.workers),
            ("--seed", args.seed), ("--days", args.days), ("--employees", args.employees),
            ("--customers", args.customers), ("--set", args.set or None)) if value is not None]
        if args.discount_rate != str(DEFAULT_DISCOUNT_RATE):
            given.append("--discount-rate")
        if given:
            raise ParameterError(f"{given[0]} is not allowed with --from: the stored "
                                 "comparison fixes it (run the report without --from to "
                                 "change it)")
        check_output()
        result = _stored_comparison(args.stored)
        baseline, others = _scenarios_of(args)
        check_stored_comparison(result, baseline, others)
        scenarios, seed_text = [baseline, *others], ""
        if grouping is not None and len(result.seeds) < 2:
            raise ParameterError(f"--responsibility is not allowed with --from {args.stored}: "
                                 f"the stored comparison has {len(result.seeds)} replicate, "
                                 "and a responsibility map needs at least 2")
        if args.responsibility_from is not None:
            stored_map = load_responsibility(
                args.responsibility_from,
                scenarios=[comparison_scenario(result, label)
                           for label in [result.baseline, *result.scenarios]])
    else:
        if args.replicates is None:
            raise ParameterError("--replicates is missing: expected the seeds per scenario "
                                 "(or --from DIR to read a stored comparison)")
        replicates = _int_option(args.replicates, "--replicates", 1, 100_000)
        if grouping is not None and replicates < 2:
            raise ParameterError(f"--replicates = {replicates} is not allowed with "
                                 "--responsibility: expected at least 2 (the map's "
                                 "intervals are over replicates)")
        if args.responsibility_from is not None:
            baseline, others = _scenarios_of(args)
            stored_map = load_responsibility(args.responsibility_from,
                                             scenarios=[baseline, *others],
                                             overrides=_overrides(args))
        result, seed_text = _comparison_of(args, check_output, series=True)
        scenarios = _scenarios_of(args)
        scenarios = [scenarios[0], *scenarios[1]]
    if grouping is not None:
        stored_map = report_responsibility(
            result, grouping, workers=_int_option(args.workers, "--workers", 1, 1024),
            progress=not args.quiet)
    written = write_report(result, args.out, scenarios,
                           command=_report_command(args, result.seeds[0]),
                           source=str(args.stored) if args.stored is not None else None,
                           title=args.title, pdf=args.pdf, paper=args.paper,
                           responsibility=stored_map)
    first, last = result.seeds[0], result.seeds[-1]
    seeds = f"seeds {first}..{last}" if last != first else f"seed {first}"
    if "drawn" in seed_text:
        seeds += f", drawn; repeat with --seed {first}"
    print(f"cxsim report: {len(result.scenarios)} scenario(s) against '{result.baseline}', "
          f"{len(result.seeds)} replicates ({seeds})")
    if stored_map is not None:
        print(f"Who carries your CX: {stored_map.scenario!r} by {stored_map.by}, "
              f"{len(stored_map.runs):,} runs"
              + (f" (read from {stored_map.source})" if stored_map.source else ""))
    print(f"Wrote {', '.join(str(path) for path in written)}")
    return 0


def _report_grouping(args: argparse.Namespace) -> str | None:
    """``--responsibility``'s grouping, checked (None without it)."""
    from cxsim.experiments.responsibility import GROUPINGS, check_grouping

    if args.responsibility is None:
        return None
    try:
        return check_grouping(args.responsibility)
    except ParameterError:
        shown = (args.responsibility if args.responsibility.isprintable()
                 else repr(args.responsibility))
        raise ParameterError(f"--responsibility = {shown} is not allowed: expected one of "
                             + ", ".join(GROUPINGS)) from None


def _report_command(args: argparse.Namespace, seed: int) -> str:
    """The command that repeats this report, with the seed written out (a drawn one too)."""
    import shlex

    words = ["cxsim", "report", args.baseline, *args.scenarios]
    if args.stored is not None:
        words += ["--from", str(args.stored)]
    else:
        words += ["--replicates", args.replicates, "--seed", str(seed)]
        for option, value in (("--workers", args.workers), ("--days", args.days),
                              ("--employees", args.employees),
                              ("--customers", args.customers)):
            if value is not None:
                words += [option, value]
        for assignment in args.set:
            words += ["--set", assignment]
        if args.discount_rate != str(DEFAULT_DISCOUNT_RATE):
            words += ["--discount-rate", args.discount_rate]
    words += ["--out", str(args.out)]
    if args.title is not None:
        words += ["--title", args.title]
    if args.pdf:
        words += ["--pdf", "--paper", args.paper]
    if args.responsibility is not None:
        words += ["--responsibility", args.responsibility]
    if args.responsibility_from is not None:
        words += ["--responsibility-from", str(args.responsibility_from)]
    return shlex.join(words)


def _stored_comparison(directory: Path):
    """The comparison stored in ``directory`` by ``cxsim compare --out``."""
    from cxsim.experiments.comparisons import MARKER, ComparisonResult

    if not (directory / MARKER).is_file():
        raise ParameterError(f"--from = {str(directory)!r} is not allowed: it holds no "
                             f"{MARKER}; expected a directory written by cxsim compare --out")
    return ComparisonResult.load(directory)


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


def _add_validate_parser(sub) -> None:
    """``cxsim validate``."""
    validate = sub.add_parser(
        "validate", help="re-measure the calibration patterns P1-P14 (table, pass/fail)",
        description="Measure the calibration patterns P1-P14 on the default calibration with "
        "paired replicates and common random numbers; print and write a table: target, "
        "simulated value with its 95% CI, pass/fail, the mechanism check, the scenario files "
        "and window; plus the baseline's drift at rest. See docs/validation.md.")
    validate.add_argument("--patterns", metavar="IDS",
                          help="comma-separated pattern ids, e.g. P3,P5 (default: all)")
    validate.add_argument("--replicates", help="paired seeds, at least 2 (default 20; "
                          "3 with --quick)")
    validate.add_argument("--quick", action="store_true",
                          help="smoke test for CI: a small organisation and few replicates, "
                               "labelled QUICK in every output")
    validate.add_argument("--workers", help="worker processes (default: the machine's cores)")
    validate.add_argument("--out", type=Path, help="write validation.csv, validation.md, "
                          "runs.csv and burnout.csv to this directory")
    validate.add_argument("--markdown", type=Path, metavar="FILE",
                          help="write the Markdown report to FILE (e.g. docs/validation.md)")
    validate.add_argument("--quiet", action="store_true", help="no progress bar")


def _validate(args: argparse.Namespace) -> int:
    from cxsim.experiments.patterns import (
        check_pattern_ids,
        check_validate_replicates,
        validate,
        write_markdown,
        write_report,
    )

    ids = check_pattern_ids(args.patterns) if args.patterns is not None else None
    replicates = None
    if args.replicates is not None:
        replicates = check_validate_replicates(_int_option(args.replicates, "--replicates", 2,
                                                           100_000))
    workers = _int_option(args.workers, "--workers", 1, 1024)
    if args.out is not None:
        check_output_dir(args.out, marker="validation.csv")
    if args.markdown is not None:
        check_markdown_file(args.markdown)
    command = " ".join(["cxsim validate"]
                       + ([f"--patterns {','.join(ids)}"] if ids else [])
                       + ([f"--replicates {replicates}"] if replicates else [])
                       + (["--quick"] if args.quick else [])
                       + ([f"--markdown {args.markdown}"] if args.markdown else []))
    report = validate(ids, replicates=replicates, quick=args.quick, workers=workers,
                      progress=not args.quiet and sys.stderr.isatty(), command=command)
    text = report.markdown()
    _print_all(text.split("\n## How each pattern")[0].rstrip() + "\n")
    if args.out is not None:
        out = write_report(report, args.out)
        print(f"\nWrote validation.csv, validation.md, runs.csv, burnout.csv to {out}/")
    if args.markdown is not None:
        write_markdown(text, args.markdown)
        print(f"Wrote {args.markdown}")
    return 0


def check_markdown_file(path: Path) -> Path:
    """Raise ParameterError unless ``path`` can be written as the Markdown report: not a
    directory, in an existing writable directory."""
    if str(path).strip() == "":
        raise ParameterError("--markdown = '' is not allowed: expected a file path")
    if path.is_dir():
        raise ParameterError(f"--markdown = {str(path)!r} is not allowed: it is a directory; "
                             "expected a file path")
    parent = path.absolute().parent
    if not parent.is_dir():
        raise ParameterError(f"--markdown = {str(path)!r} is not allowed: its directory "
                             f"{str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise ParameterError(f"--markdown = {str(path)!r} is not allowed: its directory "
                             f"{str(parent)!r} is not writable")
    return path


def _add_calibrate_parser(sub) -> None:
    """``cxsim calibrate``."""
    from cxsim.experiments.calibration import DEFAULT_BUDGET, DEFAULT_REPLICATES

    calibrate = sub.add_parser(
        "calibrate", help="fit parameters of a scenario to a client's observations (CSV)",
        description="Fit parameters of SCENARIO to the observations in a CSV file by "
        "approximate Bayesian computation on the sweep backends (resumable: run the same "
        "command again). Writes fitted.toml, fit.json, fit.png, observed_vs_simulated.csv "
        "and candidates.csv to --out. See docs/calibration.md.")
    calibrate.add_argument("scenario", help="scenario file (TOML) or a library scenario's name")
    calibrate.add_argument("observations", help="observations file (CSV: day or date, metric, "
                           "department, value, n or se, window_days)")
    calibrate.add_argument("--fit", nargs="+", metavar="PARAM",
                           help="parameters to fit, as dotted keys, optionally KEY=LOW:HIGH "
                                "(default: a set chosen from the observed metrics)")
    calibrate.add_argument("--budget", default=str(DEFAULT_BUDGET),
                           help="model runs in all (default %(default)s)")
    calibrate.add_argument("--replicates", default=str(DEFAULT_REPLICATES),
                           help="runs per candidate, each with its own seed "
                                "(default %(default)s)")
    calibrate.add_argument("--seed", help="seed of the first run (default: the scenario's, "
                           "else 0)")
    calibrate.add_argument("--start-date", metavar="YYYY-MM-DD",
                           help="date of the first day after the warm-up (for a date column)")
    _add_overrides(calibrate)
    calibrate.add_argument("--out", type=Path, required=True,
                           help="the calibration's directory (new, empty, or this "
                                "calibration's own to resume)")
    calibrate.add_argument("--workers", help="local worker processes (default: the "
                           "machine's cores); with --scheduler local, Dask workers")
    calibrate.add_argument("--scheduler", metavar="ADDRESS",
                           help="a Dask scheduler address (tcp://host:8786), or local")
    calibrate.add_argument("--quiet", action="store_true", help="no progress bars")


def _calibrate(args: argparse.Namespace) -> int:
    from cxsim.experiments.backends import check_scheduler
    from cxsim.experiments.calibration import calibrate, format_fit
    from cxsim.interfaces.calibration_plot import write_fit_plot

    budget = _int_option(args.budget, "--budget", 1, 1_000_000)
    replicates = _int_option(args.replicates, "--replicates", 1, 1000)
    seed = _int_option(args.seed, "--seed", 0, SEED_LIMIT - 1)
    workers = _int_option(args.workers, "--workers", 1, 1024)
    scheduler = check_scheduler(args.scheduler) if args.scheduler is not None else None
    check_output_dir(args.out)
    try:
        result = calibrate(args.scenario, args.observations, args.fit, out=args.out,
                           budget=budget, replicates=replicates, seed=seed,
                           overrides=_overrides(args), start_date=args.start_date,
                           workers=workers, scheduler=scheduler, progress=not args.quiet)
    except ParameterError as error:
        raise _with_flags(error) from None
    write_fit_plot(result.fit, args.out)
    print(format_fit(result))
    print(f"\nWrote fitted.toml, fit.json, fit.png, observed_vs_simulated.csv and "
          f"candidates.csv to {args.out}/")
    return 0
def _responsibility(args: argparse.Namespace) -> int:
    from cxsim.interfaces.responsibility_plot import command

    return command(args)
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
        if args.command == "report":
            return _report(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "sensitivity":
            return _sensitivity(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "calibrate":
            return _calibrate(args)
        if args.command == "responsibility":
            return _responsibility(args)
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
    shown = text if text.isprintable() else repr(text)  # one line, control characters visible
    try:
        value = int(text.strip())
    except ValueError:
        raise ParameterError(f"{flag} = {shown} is not allowed: expected {allowed}") from None
    if value < low or (high is not None and value > high):
        raise ParameterError(f"{flag} = {shown} is not allowed: expected {allowed}")
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
    from cxsim.experiments.comparisons import MARKER

    def check_out() -> None:
        if args.out is not None:
            check_output_dir(args.out, marker=MARKER)

    result, seed_text = _comparison_of(args, check_out)
    print(format_comparison(result, seed_text))
    if args.out is not None:
        out = result.save(args.out)
        print(f"\nWrote {', '.join(result.files())} to {out}/")
    return 0


def _comparison_of(args: argparse.Namespace, check_output, **options):
    """Run the comparison that the options of :func:`_add_comparison_options` describe,
    every check (the output's too: ``check_output()``) done before any run starts;
    returns the result and the seed's text."""
    from cxsim.experiments.comparisons import compare, plan

    replicates = _int_option(args.replicates, "--replicates", 1, 100_000)
    workers = _int_option(args.workers, "--workers", 1, 1024)
    seed = _int_option(args.seed, "--seed", 0, SEED_LIMIT - 1)
    discount_rate = _discount_rate(args.discount_rate)
    check_output()
    baseline, scenarios = _scenarios_of(args)
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
                     progress=not args.quiet, **options)
    return result, _seed_line(seed, drawn)


def _scenarios_of(args: argparse.Namespace):
    """The baseline and the scenarios named on the command line, loaded."""
    return load_scenario(args.baseline), [load_scenario(path) for path in args.scenarios]


def _discount_rate(text: str) -> float:
    from cxsim.experiments.comparisons import check_discount_rate

    try:
        return check_discount_rate(float(text), "--discount-rate")
    except ValueError:
        raise ParameterError(f"--discount-rate = {text} is not allowed: expected a number "
                             "from 0 to 1 (per year, e.g. 0.08)") from None


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
