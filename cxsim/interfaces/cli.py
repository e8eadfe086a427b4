"""Command line: ``cxsim run`` and ``cxsim params``.

Errors in the user's input (unknown parameter, value out of range, bad
scenario file) print one line naming the field, the value and what is allowed,
and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from cxsim.core.parameters import (
    PARAMETERS,
    SECTIONS,
    ParameterError,
    parameters_markdown,
    parse_assignment,
)
from cxsim.experiments.scenarios import Scenario, load_scenario

#: Rows of the printed summary: (label, summary key, format).
SUMMARY_ROWS = (
    ("CSAT (top-two-box)", "csat", "{:.1%}"),
    ("NPS", "nps", "{:+.1f}"),
    ("First-contact resolution", "fcr", "{:.1%}"),
    ("Contacts per resolved problem", "contacts_per_resolution", "{:.2f}"),
    ("Days to resolution", "time_to_resolution", "{:.1f}"),
    ("Interaction quality (mean)", "quality_mean", "{:.3f}"),
    ("Experience consistency", "consistency", "{:.3f}"),
    ("Employees engaged", "engagement_share", "{:.1%}"),
    ("Employees burnt out", "burnout_share", "{:.1%}"),
    ("Revenue per day", "revenue_per_day", "{:,.0f}"),
)
TOTAL_ROWS = (
    ("Active customers (final day)", "active_customers", "{:,}"),
    ("Customer churn (per year)", "churn_rate", "{:.1%}"),
    ("Employee turnover (per year)", "turnover_rate", "{:.1%}"),
    ("Revenue, intervention period", "revenue", "{:,.0f}"),
    ("Intervention cost", "intervention_cost", "{:,.0f}"),
    ("Hiring cost", "hiring_cost", "{:,.0f}"),
)

#: Above this many customer-days a run takes several seconds: show a progress bar.
PROGRESS_CUSTOMER_DAYS = 20_000_000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxsim", description="Agent-based simulation of organisational CX culture.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario (the built-in default if none is given)",
                         description="Run a scenario and print its summary.")
    run.add_argument("scenario", nargs="?",
                     help="scenario file (TOML) or a library scenario's name (see cxsim "
                          "scenarios); default: built-in")
    run.add_argument("--seed", type=int, help="random seed (default: the scenario's, else 0)")
    run.add_argument("--out", type=Path, help="write summary.json, CSVs and a plot here")
    run.add_argument("--days", help="days after the warm-up (run.days)")
    run.add_argument("--employees", help="employee positions (organisation.n_employees)")
    run.add_argument("--customers", help="initial customers (customers.n_customers)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override any parameter, e.g. --set organisation.silo_strength=0.4")
    bar = run.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="always show a progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_false",
                     help="never show a progress bar")
    params = sub.add_parser("params", help="list every parameter with its range and default")
    params.add_argument("section", nargs="?", choices=SECTIONS, help="only this section")
    params.add_argument("--markdown", action="store_true",
                        help="print the reference table in Markdown (docs/parameters.md)")
    _add_scenario_commands(sub)
    return parser


def _add_scenario_commands(sub: argparse._SubParsersAction) -> None:
    """``cxsim schema`` and ``cxsim scenarios``."""
    schema = sub.add_parser(
        "schema", help="print the JSON Schema of scenario files (for editor completion)",
        description="Print the JSON Schema of scenario files, generated from the definitions "
                    "the validator uses.")
    schema.add_argument("--markdown", action="store_true",
                        help="print the field reference instead (docs/scenario-reference.md)")
    sub.add_parser("scenarios", help="list the scenario library, one line each",
                   description="List the library's scenarios (use a name with cxsim run).")


def _scenario_command(args: argparse.Namespace) -> int | None:
    """Run ``schema`` or ``scenarios``; None for any other command."""
    if args.command == "schema":
        from cxsim.experiments.schema import (
            scenario_json_schema_text,
            scenario_reference_markdown,
        )

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
        return _run(args)
    except ParameterError as error:
        for line in str(error).splitlines():  # every error of a file, one line each
            print(f"cxsim: error: {line}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from cxsim.results import run

    scenario = load_scenario(args.scenario) if args.scenario else Scenario(name="default")
    overrides: dict[str, str] = {}
    for flag, key in (("days", "run.days"), ("employees", "organisation.n_employees"),
                      ("customers", "customers.n_customers")):
        value = getattr(args, flag)
        if value is not None:
            overrides[key] = value
    for text in args.set:
        key, value = parse_assignment(text)
        overrides[key] = value
    try:
        config = scenario.config.with_overrides(overrides)
    except ParameterError as error:
        flag = {"run.days": "--days", "organisation.n_employees": "--employees",
                "customers.n_customers": "--customers"}
        message = str(error)
        for key, name in flag.items():
            message = message.replace(f"{key} =", f"{name} ({key}) =")
        raise ParameterError(message) from None
    if args.seed is not None and args.seed < 0:
        raise ParameterError(f"--seed = {args.seed} is not allowed: expected an integer >= 0")
    seed = args.seed if args.seed is not None else (scenario.seed or 0)
    progress = args.progress
    if progress is None:
        customer_days = config.n_customers * (config.burn_in_days + config.days)
        progress = customer_days > PROGRESS_CUSTOMER_DAYS
    result = run(config, seed=seed, interventions=scenario.interventions,
                 structure=scenario.structure, progress=progress)
    summary = result.summary()
    print(format_summary(scenario, result.config, seed, summary))
    if args.out is not None:
        out = result.save(args.out, title=f"cxsim: {scenario.name}")
        print(f"\nWrote summary.json, config.json, daily.csv, departments.csv, touchpoints.csv, "
              f"teams.csv and headline.png to {out}/")
    return 0


def format_summary(scenario: Scenario, config, seed: int, summary: dict) -> str:
    """A readable summary: baseline (end of warm-up) against the final window."""
    lines = [
        f"cxsim: scenario '{scenario.name}', seed {seed}: {config.n_employees:,} employees, "
        f"{config.n_customers:,} customers, {config.burn_in_days} warm-up days + "
        f"{config.days} days",
    ]
    if scenario.interventions:
        lines.append("interventions: " + ", ".join(
            f"{iv.kind} (day {iv.start})" for iv in scenario.interventions))
    w = config.summary_window_days
    lines += ["", f"{'metric':<32}{'baseline':>12}{'final':>12}{'change':>10}",
              f"{'':<32}{'(warm-up end)':>12}{f'(last {w} d)':>12}", "-" * 66]
    for label, key, fmt in SUMMARY_ROWS:
        final = summary.get(key, float("nan"))
        base = summary.get(f"baseline_{key}", float("nan"))
        change = ""
        if _finite(base) and _finite(final) and base != 0 and key != "nps":
            change = f"{(final - base) / abs(base):+.1%}"
        elif key == "nps" and _finite(base) and _finite(final):
            change = f"{final - base:+.1f} pt"
        lines.append(f"{label:<32}{_fmt(fmt, base):>12}{_fmt(fmt, final):>12}{change:>10}")
    lines.append("-" * 66)
    for label, key, fmt in TOTAL_ROWS:
        lines.append(f"{label:<32}{'':>12}{_fmt(fmt, summary.get(key)):>12}")
    return "\n".join(lines)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _fmt(fmt: str, value) -> str:
    return fmt.format(value) if _finite(value) else "-"


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
