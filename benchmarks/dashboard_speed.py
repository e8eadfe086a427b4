"""How long the dashboard takes to step and redraw at workshop size.

Renders the dashboard headless in solara's test harness (the same components a browser
gets; the browser's own drawing is not included), presses Step like a user and times each
press: the model's day plus every chart rebuilt and sent. Prints the wall time and the
process's CPU time (the CPU time is the one to read on a busy machine), early in the run
and late in it (when the charts hold a year and a half of days), against the target.

    python benchmarks/dashboard_speed.py                     # 300 employees, 10,000 customers
    python benchmarks/dashboard_speed.py --employees 1000 --customers 100000
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

#: A step plus redraw should stay well under this (seconds).
TARGET_SECONDS = 1.0


def time_presses(press, count: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``count`` presses."""
    walls, cpus = [], []
    for _ in range(count):
        wall, cpu = time.perf_counter(), time.process_time()
        press()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--presses", type=int, default=10, help="presses timed per phase")
    parser.add_argument("--late-day", type=int, default=500,
                        help="day the late measurement starts at")
    args = parser.parse_args()

    warnings.simplefilter("ignore")
    import ipyvuetify as v
    import solara

    from cxsim.interfaces import dashboard

    start = time.perf_counter()
    chosen = dashboard.setup("baseline")
    size = {"n_employees": args.employees, "n_customers": args.customers}
    chosen = dashboard.DashboardSetup(chosen.name, chosen.scenario, chosen.params | {
        name: dashboard.slider(dashboard.PARAMETERS_BY_NAME[name], chosen.scenario, value)
        for name, value in size.items()})
    model = solara.reactive(chosen.build())
    page = dashboard.Dashboard("baseline", model=model)
    _, rc = solara.render(solara.AppLayout(children=[page]), handle_error=False)
    print(f"dashboard at {args.employees:,} employees x {args.customers:,} customers: "
          f"built and first drawn in {time.perf_counter() - start:.2f} s")
    step = rc.find(v.Btn, children=["Step"]).widget.click

    def model_step() -> None:
        model.value.step()

    step()  # first redraw pays one-off costs (fonts, caches)
    for label in ("early (day 1)", f"late (day {args.late_day})"):
        if label.startswith("late"):
            while model.value.day < args.late_day:
                model.value.step()
        wall, cpu = time_presses(step, args.presses)
        alone_wall, _ = time_presses(model_step, args.presses)
        verdict = "within" if cpu < TARGET_SECONDS else "OVER"
        print(f"{label:>16}: step + redraw {wall:.3f} s wall, {cpu:.3f} s CPU "
              f"(model step alone {alone_wall:.3f} s); {verdict} the {TARGET_SECONDS:g} s "
              "target (CPU)")


if __name__ == "__main__":
    main()
