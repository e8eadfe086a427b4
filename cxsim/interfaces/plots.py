"""Plots of experiment results (matplotlib :class:`~matplotlib.figure.Figure`\\ s, no pyplot:
safe in scripts, servers and worker processes).

>>> from cxsim.interfaces.plots import tornado
>>> figure = tornado(frame, "nps")                 # doctest: +SKIP
>>> figure.savefig("tornado-nps.png")              # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cxsim.experiments.sensitivity import indices_of, metric_unit

__all__ = ["OKABE_ITO", "tornado", "write_tornados"]

#: The Okabe-Ito palette: distinguishable with every common colour-vision deficiency.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73",
             "vermillion": "#D55E00", "sky": "#56B4E9", "purple": "#CC79A7",
             "yellow": "#F0E442", "black": "#000000"}


def tornado(frame: pd.DataFrame, metric: str) -> Figure:
    """A tornado plot of one metric's sensitivity indices.

    ``frame`` is :func:`~cxsim.experiments.sensitivity.run_sensitivity`'s result (or its
    CSV read back). One row of horizontal bars per parameter, the most important at the
    top, with 95 % confidence intervals as whiskers: for Sobol the first-order (S1) and
    total (ST) indices side by side, for Morris mu* (importance) and sigma (interactions
    and non-linearity), in the metric's unit. Raises ParameterError for a metric the frame
    does not hold.
    """
    design, rows = indices_of(frame, metric)
    if design == "sobol":
        bars = [("ST (total)", "ST", "ST_conf", OKABE_ITO["blue"]),
                ("S1 (first order)", "S1", "S1_conf", OKABE_ITO["orange"])]
        xlabel = "Sobol index (share of the metric's variance)"
    else:
        bars = [("mu* (importance)", "mu_star", "mu_star_conf", OKABE_ITO["blue"]),
                ("sigma (interactions, non-linearity)", "sigma", None, OKABE_ITO["orange"])]
        xlabel = f"Morris elementary effect ({metric_unit(metric)} per step of the range)"
    names = [str(p) for p in rows["parameter"]]
    count = len(names)
    figure = Figure(figsize=(8.0, 1.9 + 0.55 * count), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(count)[::-1]  # most important at the top
    height = 0.38
    for offset, (label, column, conf, colour) in zip((height / 2, -height / 2), bars,
                                                     strict=True):
        values = rows[column].to_numpy(dtype=float)
        errors = rows[conf].to_numpy(dtype=float) if conf else None
        axes.barh(positions + offset, values, height=height, color=colour, label=label,
                  xerr=errors, error_kw={"ecolor": OKABE_ITO["black"], "capsize": 3,
                                         "linewidth": 1})
    axes.set_yticks(positions, names)
    axes.axvline(0.0, color=OKABE_ITO["black"], linewidth=0.8)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("parameter")
    kind = "Sobol indices" if design == "sobol" else "Morris screening"
    axes.set_title(f"Sensitivity of {metric} ({kind}, 95% confidence intervals)")
    figure.legend(loc="outside lower center", ncols=2, frameon=False)
    axes.grid(axis="x", alpha=0.3)
    return figure


def write_tornados(frame: pd.DataFrame, out: str | Path) -> list[Path]:
    """One tornado plot per metric of ``frame``, as ``tornado_<metric>.png`` in ``out``;
    returns the paths written."""
    out = Path(out)
    metrics = list(dict.fromkeys(frame["metric"]))
    paths = []
    for metric in metrics:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", str(metric))
        path = out / f"tornado_{safe}.png"
        tornado(frame, metric).savefig(path, dpi=120)
        paths.append(path)
    return paths
