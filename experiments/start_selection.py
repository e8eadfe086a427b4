"""Is the starting workforce already selected as turnover selects it? (docs/ODD.md,
initialisation, step 3: incumbents' dispositions.)

Runs the default baseline for ``--years`` with no warm-up at full size and prints, at
the end of each year, the mean over seeds of the filled positions' mean disposition, mean
engagement and engaged share (with standard errors), then each year's drift of the
engaged share (the mean of its last 90 days minus its first 90 days, as ``cxsim
validate`` measures the baseline at rest) with its 95% interval over seeds. If the start
over-selected engaging dispositions, turnover undoes it: the mean disposition falls over
the years and the engaged share with it. ``--ignore-peers`` draws the start as the model
did before (a settled engagement of ``logistic(d)``, peers ignored) for comparison.

Run (about 1 minute for 8 seeds and 12 years on two cores)::

    python experiments/start_selection.py --seeds 8 --first-seed 100 --years 12
    python experiments/start_selection.py --seeds 8 --first-seed 100 --years 12 --ignore-peers
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

from cxsim.core import organisation as org
from cxsim.core.parameters import Config, ParameterError
from cxsim.engine.model import CXModel

QUARTER = 90


def run(args: tuple[int, int, bool]) -> tuple[np.ndarray, np.ndarray]:
    """One seed: yearly (disposition, engagement, engaged share) and the daily engaged
    share (a picklable task)."""
    seed, years, ignore_peers = args
    if ignore_peers:
        org.own_engagement_weight = lambda *_: 1.0  # this worker process only
    model = CXModel(rng=seed, n_employees=400, n_customers=40_000,
                    burn_in_days=max(0, 365 * years - 3650), days=min(3650, 365 * years))
    yearly = []
    while model.running:
        model.step()
        if model.day % 365 == 0:
            filled = model.active
            yearly.append([model.disposition[filled].mean(), model.engagement[filled].mean(),
                           (model.engagement[filled] >= model.p.engaged_threshold).mean()])
    daily = model.datacollector.get_model_vars_dataframe()["engagement_share"].to_numpy()
    return np.array(yearly), daily


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("--years", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ignore-peers", action="store_true")
    args = parser.parse_args(argv)
    for name, low in (("seeds", 2), ("years", 1), ("workers", 1), ("first_seed", 0)):
        if getattr(args, name) < low:
            parser.error(f"--{name.replace('_', '-')} = {getattr(args, name)} is not "
                         f"allowed: expected an integer >= {low}")
    try:
        Config({"run.burn_in_days": max(0, 365 * args.years - 3650)})
    except ParameterError as error:
        parser.error(f"--years = {args.years} is not allowed: {error}")
    tasks = [(seed, args.years, args.ignore_peers)
             for seed in range(args.first_seed, args.first_seed + args.seeds)]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(run, tasks))
    yearly = np.array([r[0] for r in results])
    daily = np.array([r[1] for r in results])
    offset = 365 * args.years - daily.shape[1]  # days of warm-up not collected
    half = stats.t.ppf(0.975, args.seeds - 1) / np.sqrt(args.seeds)
    print("year  disposition       engagement        engaged share     "
          "engaged-share drift in the year [95% CI]")
    for year in range(args.years):
        mean, se = yearly[:, year].mean(0), yearly[:, year].std(0, ddof=1) / np.sqrt(args.seeds)
        start = 365 * year - offset
        drift = ""
        if start >= 0:
            d = daily[:, start + 365 - QUARTER:start + 365].mean(1) - daily[:, start:start
                                                                             + QUARTER].mean(1)
            drift = (f"{d.mean() * 100:+.2f} pp [{(d.mean() - half * d.std(ddof=1)) * 100:+.2f},"
                     f" {(d.mean() + half * d.std(ddof=1)) * 100:+.2f}]")
        print(f"{year + 1:>4}  " + "  ".join(f"{m:.4f} ({s:.4f})" for m, s in zip(mean, se))
              + f"   {drift}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
