"""Tiny sweep specs shared by tests/test_sweeps.py and tests/test_store.py."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from cxsim.experiments.sweeps import run_task

SMALL_BASE = """\
extends = "training"
name = "small training"
[organisation]
n_employees = 40
[customers]
n_customers = 500
[run]
burn_in_days = 10
days = 20
"""


def write_spec(directory: Path, *, design: str = "latin", samples: int = 3,
               replicates: int = 2, seed: int = 5, extra: str = "",
               name: str = "tiny") -> Path:
    """A sweep spec over the small training base in ``directory``; returns its path."""
    (directory / "small.toml").write_text(SMALL_BASE)
    path = directory / f"{name}.toml"
    path.write_text(f"""\
name = "{name}"
base = "small.toml"
design = "{design}"
samples = {samples}
replicates = {replicates}
seed = {seed}
outputs = ["csat", "nps", "revenue"]
{extra}
[[parameters]]
key = "organisation.silo_strength"
low = 0.2
high = 0.9

[[parameters]]
key = "interventions.training.intensity"
low = 0.1
high = 1.0
""")
    return path


def die_once(task):
    """Run ``task``, except that the first spawned worker process to get here dies
    (``os._exit``), as a worker killed with ``kill -9``: the marker file
    ``$CXSIM_TEST_DIE_ONCE`` says it happened. The driver, which runs tasks too, never
    dies here."""
    if multiprocessing.parent_process() is None:
        return run_task(task)
    marker = Path(os.environ["CXSIM_TEST_DIE_ONCE"])
    try:
        marker.open("x").close()
    except FileExistsError:
        return run_task(task)
    os._exit(9)
