"""A small comparison shared by tests/test_report.py and tests/test_report_browser.py
(computed once per test process), and the scenario files behind it."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

from cxsim.experiments.comparisons import ComparisonResult, compare
from cxsim.experiments.scenarios import load_scenario

#: A small organisation and a short horizon: the report's structure, not its numbers.
SMALL = {"organisation.n_employees": 100, "customers.n_customers": 2000,
         "run.burn_in_days": 30, "run.days": 90}
SMALL_ARGS = ["--employees", "100", "--customers", "2000", "--days", "90",
              "--set", "run.burn_in_days=30"]
REPLICATES = 3
SEED = 5

#: A scenario whose name and description try to inject HTML and script.
HOSTILE_NAME = "<script>alert(1)</script> & \"Guidelines\""
HOSTILE_DESCRIPTION = "<img src=x onerror=alert(2)> Clear guidelines for <b>support</b>."
HOSTILE_TOML = f'''extends = "baseline"
name = {json.dumps(HOSTILE_NAME)}
description = {json.dumps(HOSTILE_DESCRIPTION)}

[organisation]
silo_strength = 0.4

[[interventions]]
type = "guidelines"
start = 10
ramp_days = 20
departments = ["support", "operations"]
'''


@functools.cache
def scenario_dir() -> Path:
    """A folder with ``hostile.toml`` (kept for the test process)."""
    folder = Path(tempfile.mkdtemp(prefix="cxsim-report-test-"))
    (folder / "hostile.toml").write_text(HOSTILE_TOML, encoding="utf-8")
    return folder


def scenario_paths() -> list[str]:
    """Baseline, training and the hostile scenario, as the command line names them."""
    return ["baseline", "training", str(scenario_dir() / "hostile.toml")]


def scenarios():
    return [load_scenario(path) for path in scenario_paths()]


@functools.cache
def small_comparison() -> ComparisonResult:
    """The baseline, training and the hostile scenario, 3 replicates, with series."""
    baseline, *others = scenarios()
    return compare(baseline, others, replicates=REPLICATES, workers=2, seed=SEED,
                   overrides=SMALL, series=True)


@functools.cache
def small_responsibility():
    """The small comparison's baseline decomposed by level (3 groups: 8 coalitions per
    replicate, the comparison's 3 replicates): the "who carries your CX" section's input."""
    from cxsim.interfaces.report import report_responsibility

    return report_responsibility(small_comparison(), "level", workers=1)
