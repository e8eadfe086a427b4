"""Cost of validation on the Python API and for scenario files (prints microseconds).

Run: ``python benchmarks/validation_speed.py``. Constructing an intervention and
re-checking an assigned field must stay cheap (microseconds): sweeps build thousands of
them. Each figure is the best of 5 repeats.
"""

from __future__ import annotations

import timeit

from cxsim.core.parameters import Config
from cxsim.core.structure import Structure
from cxsim.engine.interventions import CXTraining, from_dict
from cxsim.experiments.scenarios import Scenario, library, load_scenario, resolve


def best_us(statement, number: int) -> float:
    """Best time of one call of ``statement`` over 5 repeats, in microseconds."""
    return min(timeit.repeat(statement, number=number, repeat=5)) / number * 1e6


def main() -> None:
    training = CXTraining()
    table = {"type": "training", "hours": 4, "levels": ["frontline"], "start": 10}
    spec = resolve(library()["combo_culture_programme"])
    load_scenario("combo_culture_programme")  # warm the caches (models are built once)

    def assign() -> None:
        training.hours = 4

    rows = [
        ("CXTraining(hours=8)", lambda: CXTraining(hours=8), 20_000),
        ("iv.hours = 4 (re-checked)", assign, 50_000),
        ("interventions.from_dict(table)", lambda: from_dict(table), 10_000),
        ("Config.from_flat(3 values)", lambda: Config.from_flat(
            {"n_employees": 300, "silo_strength": 0.4, "days": 200}), 2_000),
        ("Structure() (default tables)", Structure, 2_000),
        ("Scenario.from_dict(library combo)", lambda: Scenario.from_dict(spec), 300),
    ]
    for label, statement, number in rows:
        print(f"{label:36s} {best_us(statement, number):9.1f} us")


if __name__ == "__main__":
    main()
