"""The plot of a calibration: observed against simulated, with bands (``fit.png``).

>>> from cxsim.interfaces.calibration_plot import plot_fit
>>> plot_fit(result.fit).savefig("fit.png")        # doctest: +SKIP

One panel per observed series (a metric, for the whole organisation or one department),
against the day the observation's window ends: the observations with their 90% error
bars (1.645 standard errors), the simulated value at the fitted estimate (mean of the
check runs) and its 90% predictive band (the parameters' uncertainty and the model's
variation between realisations).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

#: Okabe-Ito colours (distinguishable with common colour-vision deficiencies).
OBSERVED, SIMULATED = "#000000", "#0072B2"
#: Half-width of the observations' error bars, in standard errors (a 90% interval).
Z90 = 1.645


def plot_fit(fit: pd.DataFrame, title: str = "cxsim calibrate: observed and simulated"
             ) -> Figure:
    """A figure of ``fit`` (:attr:`CalibrationResult.fit
    <cxsim.experiments.calibration.CalibrationResult.fit>` or its CSV
    ``observed_vs_simulated.csv`` read back)."""
    labels = list(dict.fromkeys(fit["label"]))
    columns = min(3, len(labels))
    rows = math.ceil(len(labels) / columns)
    figure = Figure(figsize=(4.2 * columns, 3.2 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis, label in zip(axes, labels):
        part = fit[fit["label"] == label].sort_values("day")
        band = "simulated, 90% predictive band"
        if len(part) > 1:
            axis.fill_between(part["day"], part["band_low"], part["band_high"],
                              color=SIMULATED, alpha=0.2, linewidth=0, label=band)
        else:  # one window: the band as a bar behind the point
            day = float(part["day"].iloc[0])
            axis.set_xlim(day - 10, day + 10)
            axis.errorbar(part["day"], part["simulated"],
                          yerr=[part["simulated"] - part["band_low"],
                                part["band_high"] - part["simulated"]],
                          color=SIMULATED, alpha=0.4, linewidth=6, fmt="none", label=band)
        axis.plot(part["day"], part["simulated"], color=SIMULATED, marker="o", markersize=4,
                  label="simulated at the estimate")
        axis.errorbar(part["day"], part["observed"], yerr=Z90 * part["se"], color=OBSERVED,
                      fmt="s", markersize=4, capsize=3, linestyle="none",
                      label="observed, 90% error bar")
        axis.set_title(label, fontsize=10)
        axis.set_xlabel("day after the warm-up (window end)")
        axis.grid(alpha=0.3)
    for axis in axes[len(labels):]:
        axis.set_visible(False)
    axes[0].legend(fontsize=7, loc="best")
    figure.suptitle(title, fontsize=11)
    return figure


def write_fit_plot(fit: pd.DataFrame, out: str | Path) -> Path:
    """Write :func:`plot_fit` to ``out/fit.png`` and return its path."""
    from io import BytesIO

    from cxsim.experiments.store import write_file_atomically

    path = Path(out) / "fit.png"
    buffer = BytesIO()
    plot_fit(fit).savefig(buffer, format="png", dpi=110)
    write_file_atomically(path, buffer.getvalue())
    return path
