"""The trainer's dashboard: a Mesa SolaraViz app of a live cxsim organisation.

``cxsim dashboard [SCENARIO]`` serves :func:`Page` with ``solara run``; in a notebook,
``Dashboard("baseline")`` displays the same app. What it shows:

* sliders for the main levers and the organisation's size, generated from the parameter
  declarations (:data:`cxsim.core.parameters.PARAMETERS`: label, unit, range, meaning);
  the size sliders stop at workshop sizes (:data:`WORKSHOP_LIMITS`), inside the declared
  ranges, so that a step stays well under a second;
* Mesa's Step, Play/Pause and Reset (Reset rebuilds the model with the sliders' values);
* live plots of the DataCollector's daily metrics (CSAT, NPS, FCR, engagement, burnout,
  churn, revenue), the informal network coloured by engagement or strain and grouped by
  department, and today's burnout by department;
* a scenario picker over the library and two presets, "CX owned by support in silos"
  (``p13_cx_in_support``) and "CX shared by everyone" (``p13_cx_shared``): picking one
  loads the scenario file, sets the sliders to its values and rebuilds the model.

A scenario's interventions come with it (they start after its warm-up, which a slider
sets); the sliders set the organisation as it is.
"""

from __future__ import annotations

import errno
import functools
import html
import os
import socket
import subprocess
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import solara
import solara.widgets

with warnings.catch_warnings():
    # Mesa 3.3's ComponentsView trips solara's hook check on import (fixed in Mesa 3.5)
    warnings.filterwarnings("ignore", message=".*found despite early return",
                            category=UserWarning)
    from mesa.visualization import Slider, SolaraViz
    from mesa.visualization.utils import update_counter

from cxsim.core.parameters import PARAMETERS_BY_NAME, Config, Parameter, ParameterError
from cxsim.engine.metrics import DEPARTMENT_FIELDS
from cxsim.engine.model import CXModel
from cxsim.experiments.scenarios import Scenario, library, load_scenario
from cxsim.interfaces.plots import network_layout

__all__ = ["LEVERS", "PRESETS", "SIZE", "WORKSHOP_LIMITS", "WORKSHOP_SIZE", "Dashboard",
           "DashboardModel", "DashboardSetup", "Page", "model_params", "setup",
           "slider_values_config"]

#: The levers with a slider, in the order shown: the organisation as it is.
LEVERS: tuple[str, ...] = (
    "silo_strength", "cx_ownership", "shared_metrics", "leadership_commitment",
    "coaching_share", "baseline_empowerment", "guidelines_clarity", "baseline_skill",
    "crm_integration", "voc_loop", "contact_capacity",
)
#: The size and length of the run, with a slider each.
SIZE: tuple[str, ...] = ("n_employees", "n_customers", "burn_in_days", "days")
#: Largest values the size sliders offer (inside the declared ranges): a workshop shows a
#: few hundred employees; a step of 2,000 x 100,000 still redraws in about a second.
WORKSHOP_LIMITS: dict[str, int] = {"n_employees": 2000, "n_customers": 100_000,
                                   "burn_in_days": 365, "days": 730}
#: The size the dashboard opens at, whatever the scenario's (the size sliders change it).
WORKSHOP_SIZE: dict[str, int] = {"n_employees": 300, "n_customers": 10_000}
#: One-click presets: button label -> library scenario.
PRESETS: dict[str, str] = {"CX owned by support in silos": "p13_cx_in_support",
                           "CX shared by everyone": "p13_cx_shared"}
#: Steps on a slider between its lowest and highest value (float parameters).
SLIDER_STEPS = 100
#: Environment variables through which ``cxsim dashboard`` passes its arguments to the
#: app that ``solara run`` serves.
SCENARIO_VARIABLE = "CXSIM_DASHBOARD_SCENARIO"

_ACRONYMS = {"cx": "CX", "crm": "CRM", "voc": "VoC"}


def label(parameter: Parameter) -> str:
    """A slider's label from the declaration: ``silo_strength`` -> "Silo strength (share)",
    ``n_employees`` -> "Employees (people)", ``n_customers`` -> "Customers"."""
    words = parameter.name.removeprefix("n_").split("_")
    if len(words) > 1 and words[-1] == parameter.unit:  # burn_in_days -> "Burn in (days)"
        words.pop()
    text = " ".join(_ACRONYMS.get(word, word) for word in words)
    text = text[0].upper() + text[1:]
    return text if text.lower() == parameter.unit else f"{text} ({parameter.unit})"


def _slider_range(parameter: Parameter, scenario: Scenario) -> tuple[float, float]:
    """The range a slider offers: the declared one, the size sliders' top capped at a
    workshop size, and ``days`` long enough for the scenario's interventions to start."""
    low, high = parameter.low, parameter.high
    if parameter.name in WORKSHOP_LIMITS:
        high = min(high, max(WORKSHOP_LIMITS[parameter.name],
                             scenario.config[parameter.name]))
    if parameter.name == "days" and scenario.interventions:
        low = max(low, max(iv.start for iv in scenario.interventions) + 1)
    return low, high


def slider(parameter: Parameter, scenario: Scenario, value: Any) -> Slider:
    """A Mesa slider for ``parameter`` starting at ``value``: label, unit and range from its
    declaration; integers step by 1 (customers by 100), numbers in 100 steps."""
    low, high = _slider_range(parameter, scenario)
    if parameter.kind is int:
        step = 100 if parameter.name == "n_customers" else 1
        return Slider(label(parameter), int(value), int(low), int(high), step, dtype=int)
    return Slider(label(parameter), float(value), float(low), float(high),
                  (high - low) / SLIDER_STEPS, dtype=float)


@dataclass(frozen=True)
class DashboardSetup:
    """A scenario made ready for the dashboard: its SolaraViz parameters."""

    name: str
    scenario: Scenario
    #: SolaraViz ``model_params``: a Slider per lever and size, plus the fixed inputs
    #: (the scenario's config, interventions, structure and seed).
    params: dict[str, Any] = field(repr=False)

    def initial_values(self) -> dict[str, Any]:
        """The keyword arguments of the model the sliders describe right now."""
        return {name: value.value if isinstance(value, Slider) else value
                for name, value in self.params.items()}

    def build(self) -> DashboardModel:
        return DashboardModel(**self.initial_values())


def model_params(scenario: Scenario, seed: int | None = None) -> dict[str, Any]:
    """SolaraViz ``model_params`` for ``scenario``: a slider for each of :data:`LEVERS` and
    :data:`SIZE` at the scenario's value (the size at :data:`WORKSHOP_SIZE`), and the
    scenario's config, interventions, structure and seed as fixed inputs."""
    values = scenario.config.with_overrides(WORKSHOP_SIZE)
    params: dict[str, Any] = {
        name: slider(PARAMETERS_BY_NAME[name], scenario, values[name]) for name in LEVERS + SIZE}
    params |= {"config": scenario.config, "interventions": list(scenario.interventions),
               "structure": scenario.structure,
               "rng": seed if seed is not None else (scenario.seed or 1)}
    return params


def setup(name: str, seed: int | None = None) -> DashboardSetup:
    """Load a scenario (a library name or a file, as ``cxsim run`` takes it) for the
    dashboard. Raises ParameterError, with the CLI's message, if it is not valid."""
    scenario = load_scenario(name)
    return DashboardSetup(name, scenario, model_params(scenario, seed))


def slider_values_config(chosen: DashboardSetup, values: Mapping[str, Any]) -> Config:
    """The Config a Reset builds from slider ``values`` (name -> value) on top of the
    scenario; raises ParameterError if it is not valid (sliders keep it valid)."""
    config = chosen.scenario.config.with_overrides(dict(values))
    for iv in chosen.scenario.interventions:
        iv.check_targets(chosen.scenario.structure, config.days)
    return config


class DashboardModel(CXModel):
    """:class:`~cxsim.engine.model.CXModel` as SolaraViz builds it.

    Mesa 3.5's Reset also passes its own ``scenario`` object
    (``mesa.experimental.scenarios``), which cxsim does not use (its scenarios are files
    with interventions): it is accepted and ignored. Everything else is CXModel's.
    """

    def __init__(self, config: Config | Mapping[str, Any] | None = None, *,
                 rng: int | None = None, scenario: Any = None, **kwargs: Any):
        super().__init__(config, rng=rng, **kwargs)


# --- components ------------------------------------------------------------------------

#: The live plots: (DataCollector columns and their colours, y-axis title, fixed limits).
PLOTS: tuple[tuple[dict[str, str], str, tuple[float, float] | None], ...] = (
    ({"csat": "#0072B2", "fcr": "#009E73"}, "customers: CSAT and FCR (share)", (0.0, 1.0)),
    ({"nps": "#CC79A7"}, "NPS (points)", (-100.0, 100.0)),
    ({"engagement_share": "#E69F00", "burnout_share": "#D55E00"},
     "employees: engaged and burnt out (share)", (0.0, 1.0)),
    ({"churn_rate": "#000000"}, "customer churn (per year)", None),
    ({"revenue": "#56B4E9"}, "revenue (currency per day)", None),
)
#: Legend names of the plotted metrics.
LEGEND = {"csat": "CSAT", "fcr": "FCR", "nps": "NPS", "engagement_share": "engaged",
          "burnout_share": "burnt out", "churn_rate": "churn", "revenue": "revenue"}
#: Size of every chart (pixels).
CHART_WIDTH, CHART_HEIGHT = 380, 200


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text, a missing value written ``NaN`` (Vega reads an empty field as
    0), so lines break there: CSAT on a day without survey answers."""
    return frame.to_csv(index=False, float_format="%.6g", na_rep="NaN")


def named_csv(name: str) -> alt.NamedData:
    """A chart's data by name, in CSV: the spec is built once and every redraw only puts
    the day's CSV text under ``datasets[name]`` (see :func:`with_data`)."""
    return alt.NamedData(name=name, format=alt.DataFormat(type="csv"))


def with_data(template: dict, **data: str) -> dict:
    """A Vega-Lite spec: ``template`` with its named datasets filled with CSV text.

    As one string per dataset (not a list of rows) the data cost solara's renderer
    nothing however long the run, and the chart itself is not rebuilt (building Altair
    objects and checking them against the schema was most of a redraw's cost)."""
    return {**template, "datasets": data}


@functools.lru_cache(maxsize=64)
def _template(chart: Callable[..., alt.TopLevelMixin], *arguments: Any) -> dict:
    return chart(*arguments).to_dict(validate=False)


def metric_chart(measure: tuple[tuple[str, str], ...], title: str,
                 limits: tuple[float, float] | None = None) -> alt.Chart:
    """The line chart of some of the DataCollector's daily metrics (``measure``: (metric,
    colour) pairs), reading the named dataset ``daily`` (:func:`metric_spec`)."""
    names = [LEGEND.get(key, key) for key, _ in measure]
    scale = alt.Scale(domain=list(limits)) if limits is not None else alt.Scale(zero=False)
    return alt.Chart(named_csv("daily")).mark_line().encode(
        x=alt.X("day:Q", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("value:Q", title=title, scale=scale),
        color=alt.Color("metric:N", scale=alt.Scale(domain=names,
                                                    range=[colour for _, colour in measure]),
                        legend=alt.Legend(orient="top", title=None)),
    ).properties(width=CHART_WIDTH, height=CHART_HEIGHT)


def metric_spec(daily: pd.DataFrame, measure: Mapping[str, str], title: str,
                limits: tuple[float, float] | None = None) -> dict:
    """The Vega-Lite spec of :func:`metric_chart` with today's data (``daily``: the
    DataCollector's table, one row per collected day; x is the row's step)."""
    names = [LEGEND.get(key, key) for key in measure]
    long = (daily[list(measure)].set_axis(names, axis=1).rename_axis("day").reset_index()
            .melt("day", var_name="metric", value_name="value"))
    return with_data(_template(metric_chart, tuple(measure.items()), title, limits),
                     daily=csv_text(long))


@solara.component
def VegaLiteChart(spec: dict):
    """A Vega-Lite spec in the page (the widget ``solara.FigureAltair`` uses)."""
    solara.widgets.VegaLite.element(spec=spec)


@solara.component
def MetricChart(model: CXModel, steps: int, measure: Mapping[str, str], title: str,
                limits: tuple[float, float] | None):
    """One live chart of the DataCollector's metrics, built once per step: ``steps`` is
    the model's step count, so a new day is new input (see :func:`LiveCharts`)."""
    spec = solara.use_memo(
        lambda: metric_spec(model.datacollector.get_model_vars_dataframe(), measure, title,
                            limits), [model, steps])
    VegaLiteChart(spec)


#: What the network's positions can be coloured by (0-1 scores of the model's arrays).
NETWORK_COLOURS = ("engagement", "strain")
_TIE_KINDS = ("within a department", "across departments")


def informal_ties_frame(model: CXModel, layout: np.ndarray) -> pd.DataFrame:
    """One row per informal tie: its two ends' positions and whether it crosses
    departments (reporting lines are left out: silos are about informal ties)."""
    ties = np.array([(a, b) for a, b, kind in model.network.edges(data="kind")
                     if kind == "informal"], dtype=np.int64).reshape(-1, 2)
    across = model.department[ties[:, 0]] != model.department[ties[:, 1]]
    return pd.DataFrame({"x": layout[ties[:, 0], 0], "y": layout[ties[:, 0], 1],
                         "x2": layout[ties[:, 1], 0], "y2": layout[ties[:, 1], 1],
                         "tie": np.array(_TIE_KINDS)[across.astype(int)]})


def _check_colour(colour_by: str) -> None:
    if colour_by not in NETWORK_COLOURS:
        raise ParameterError(f"colour_by = {colour_by!r} is not allowed: expected one of "
                             + ", ".join(NETWORK_COLOURS))


def network_chart(colour_by: str = "engagement") -> alt.LayerChart:
    """The informal network as a chart of three named datasets: ``ties`` (from
    :func:`informal_ties_frame`: within a department light, across departments dark),
    ``people`` (filled positions coloured by ``colour_by``, 0-1) and ``centres``
    (each department's name at its disc's centre); see :func:`network_spec`."""
    _check_colour(colour_by)
    hidden = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
    edges = alt.Chart(named_csv("ties")).mark_rule(strokeWidth=0.5, opacity=0.5).encode(
        x=alt.X("x:Q", axis=hidden), y=alt.Y("y:Q", axis=hidden), x2="x2:Q", y2="y2:Q",
        color=alt.Color("tie:N", title="informal ties", legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=list(_TIE_KINDS), range=["#CCCCCC", "#333333"])))
    dots = alt.Chart(named_csv("people")).mark_circle(stroke="white", strokeWidth=0.4,
                                                       opacity=1).encode(
        x="x:Q", y="y:Q",
        size=alt.Size("level:O", scale=alt.Scale(domain=[0, 1, 2], range=[90, 40, 16]),
                      legend=None),
        color=alt.Color("value:Q", scale=alt.Scale(scheme="cividis", domain=[0, 1]),
                        title=f"{colour_by} (0-1)"),
        tooltip=["department:N", alt.Tooltip("value:Q", title=colour_by, format=".2f")])
    labels = alt.Chart(named_csv("centres")).mark_text(fontWeight="bold", dy=-4).encode(
        x="x:Q", y="y:Q", text="department:N")
    return alt.layer(edges, dots, labels).resolve_scale(color="independent").properties(
        width=CHART_WIDTH, height=CHART_WIDTH,
        title=f"informal network by department, coloured by {colour_by}")


def network_spec(model: CXModel, layout: np.ndarray, ties: str,
                 colour_by: str = "engagement") -> dict:
    """The network today: positions where :func:`cxsim.interfaces.plots.network_layout`
    puts them (a disc per department, so silos show as discs with few dark ties between
    them), ``ties`` the CSV of :func:`informal_ties_frame`."""
    _check_colour(colour_by)
    filled = np.flatnonzero(model.active)
    names = np.array(model.structure.department_names)
    people = pd.DataFrame({"x": layout[filled, 0], "y": layout[filled, 1],
                           "value": np.asarray(getattr(model, colour_by))[filled],
                           "department": names[model.department[filled]],
                           "level": model.level[filled]})
    centres = people.groupby("department", sort=False)[["x", "y"]].mean().reset_index()
    return with_data(_template(network_chart, colour_by), ties=ties,
                     people=csv_text(people), centres=csv_text(centres))


@solara.component
def OrganisationNetwork(model: CXModel, steps: int):
    """The network, redrawn after every step; a toggle picks engagement or strain. The
    layout is computed once per model, the ties again only when their number changes
    (redrawn with :func:`LiveCharts`)."""
    colour_by = solara.use_reactive(NETWORK_COLOURS[0])
    layout = solara.use_memo(lambda: network_layout(model), [model])
    ties = solara.use_memo(lambda: csv_text(informal_ties_frame(model, layout)),
                           [model, model.network_ties])
    spec = solara.use_memo(lambda: network_spec(model, layout, ties, colour_by.value),
                           [model, steps, ties, colour_by.value])
    with solara.Column():
        solara.ToggleButtonsSingle(value=colour_by, values=list(NETWORK_COLOURS))
        VegaLiteChart(spec)


def department_burnout_frame(model: CXModel) -> pd.DataFrame:
    """Today's share of burnt-out employees in each department, as the model's recorder
    measured it at the end of the day."""
    return pd.DataFrame({
        "department": model.structure.department_names,
        "burnout": model.recorder.by_department[model.day, :, DEPARTMENT_FIELDS.index(
            "burnout_share")].astype(float)})


@solara.component
def DepartmentBurnout(model: CXModel, steps: int):
    """Per-department burnout bars (redrawn with :func:`LiveCharts`)."""
    spec = solara.use_memo(lambda: with_data(_template(department_burnout_chart),
                                             burnout=csv_text(department_burnout_frame(model))),
                           [model, steps])
    VegaLiteChart(spec)


def department_burnout_chart() -> alt.Chart:
    """Bars of the named dataset ``burnout`` (:func:`department_burnout_frame`)."""
    return alt.Chart(named_csv("burnout")).mark_bar(color="#D55E00").encode(
        y=alt.Y("department:N", sort=None, title=None),
        x=alt.X("burnout:Q", scale=alt.Scale(domain=[0, 1]),
                title="burnt out today (share of the department)"),
    ).properties(width=CHART_WIDTH, height=CHART_HEIGHT)


def day_text(model: CXModel) -> str:
    """Where the run is: the day, and whether the interventions have started."""
    if model.day < model.burn_in:
        phase = f"warm-up: interventions start on day {model.burn_in}"
    else:
        phase = f"intervention day {model.day - model.burn_in}"
    return f"Day {model.day} of {model.horizon} ({phase})"


@solara.component
def LiveCharts(model: CXModel):
    """Everything that follows the model: the day, the charts of :data:`PLOTS`, burnout
    by department and the network, redrawn after every step.

    This one component subscribes to Mesa's ``update_counter`` (which Step, Play and
    Reset bump) and draws the others as its children, giving them the step count (a
    child whose inputs are unchanged is not redrawn): solara re-renders the page once per
    subscriber, so one subscription for all the charts keeps a step cheap."""
    update_counter.get()
    with solara.Column():
        solara.Text(day_text(model), style="font-size: 120%")
        with solara.GridFixed(columns=2, align_items="start"):
            for measure, title, limits in PLOTS:
                MetricChart(model, model.steps, measure, title, limits)
            DepartmentBurnout(model, model.steps)
            OrganisationNetwork(model, model.steps)


@solara.component
def ScenarioChooser(chosen: DashboardSetup, choose: Callable[[str], None],
                    error: str | None):
    """The scenario picker and the two presets (in the sidebar)."""
    names = list(library())
    if chosen.name not in names:
        names.insert(0, chosen.name)
    with solara.Card("Scenario"):
        for text, name in PRESETS.items():
            solara.Button(text, on_click=lambda name=name: choose(name), color="secondary",
                          block=True, style="margin-bottom: 6px")
        solara.Select("Scenario library", value=chosen.name, values=names, on_value=choose)
        solara.Text(chosen.scenario.description or chosen.scenario.name)
        if error:
            solara.Error(error)


def lever_help_html() -> str:
    """An HTML table of what each slider means and allows, from the declarations."""
    rows = "".join(
        f"<tr><td>{html.escape(label(p))}</td><td>{html.escape(p.description)}</td>"
        f"<td>{html.escape(p.allowed())}</td></tr>"
        for p in (PARAMETERS_BY_NAME[name] for name in LEVERS + SIZE))
    return ("<table style='font-size: 80%'><tr><th>slider</th><th>meaning</th>"
            f"<th>declared range</th></tr>{rows}</table>")


@solara.component
def LeverHelp():
    """What each slider means and allows (plain HTML: no Markdown renderer to load)."""
    with solara.Details("What the sliders mean"):
        solara.HTML(unsafe_innerHTML=lever_help_html())


@solara.component
def Dashboard(scenario: str = "baseline", model: solara.Reactive | None = None,
              seed: int | None = None):
    """The dashboard for ``scenario`` (a library name or a scenario file).

    ``model``: optionally, a ``solara.Reactive`` holding the model to start from (built
    with ``setup(scenario).build()``), through which tests and notebooks follow the live
    model; ``seed`` overrides the scenario's seed."""
    initial = solara.use_memo(lambda: setup(scenario, seed), [])
    first_model = solara.use_memo(lambda: initial.build() if model is None else None, [])
    own_model = solara.use_reactive(first_model)
    live = model if model is not None else own_model
    chosen = solara.use_reactive(initial)
    # A new scenario needs a fresh SolaraViz (its sliders and the parameters its Reset uses
    # are its own state): the old one is taken down for one render, then the new one is
    # mounted, so that their sidebar contents never overlap.
    switching = solara.use_reactive(False)
    error = solara.use_reactive(None)

    def choose(name: str) -> None:
        try:
            picked = setup(name, seed)
        except ParameterError as problem:
            error.value = str(problem)
            return
        error.value = None
        chosen.value = picked
        live.value = picked.build()
        switching.value = True

    def finish_switch() -> None:
        if switching.value:
            switching.value = False

    solara.use_effect(finish_switch, [switching.value])

    with solara.Sidebar():
        ScenarioChooser(chosen.value, choose, error.value)
        LeverHelp()
    if not switching.value:
        SolaraViz(live, components=[], model_params=chosen.value.params,
                  name=f"cxsim: {chosen.value.scenario.name}")
        LiveCharts(live.value)


@solara.component
def Page():
    """The page ``solara run`` serves (``cxsim dashboard``): the scenario comes from the
    environment variable :data:`SCENARIO_VARIABLE`, else the baseline."""
    name = os.environ.get(SCENARIO_VARIABLE) or "baseline"
    problem = solara.use_memo(lambda: _problem_with(name), [name])
    if problem:
        solara.Error(f"cxsim: error: {problem}")
        return
    Dashboard(name)


def _problem_with(name: str) -> str | None:
    try:
        load_scenario(name)
    except ParameterError as error:
        return str(error)
    return None


# --- serving ---------------------------------------------------------------------------

#: Port ``cxsim dashboard`` listens on unless ``--port`` says otherwise (solara's own).
DEFAULT_PORT = 8765


def check_address(host: str, port: int) -> None:
    """Raise ParameterError (naming the option) unless this machine can listen on
    ``host``:``port`` now (the port is free and the host is one of its addresses)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ParameterError(f"--host = {host!r} is not allowed: not a host name or address "
                             f"({error}); expected e.g. 127.0.0.1 (this machine only) or "
                             "0.0.0.0 (every network interface)") from None
    family, kind, protocol, _, address = infos[0]
    with socket.socket(family, kind, protocol) as probe:
        if os.name == "posix":  # as the server does: connections closing do not count
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ParameterError(
                    f"--port = {port} is not allowed: {host}:{port} is already in use (another "
                    "dashboard or server is listening there); choose a free port, e.g. "
                    f"--port {port + 1}") from None
            raise ParameterError(f"--host = {host!r} with --port = {port} is not allowed: "
                                 f"cannot listen there ({error.strerror or error})") from None


def serve(scenario: str, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> int:
    """Check the scenario and the address, then replace this process by ``solara run``
    serving :func:`Page` (``cxsim dashboard``). Raises ParameterError, with the same
    message as ``cxsim run``, for an invalid scenario, or naming ``--host``/``--port``."""
    load_scenario(scenario)
    check_address(host, port)
    command = [sys.executable, "-m", "solara", "run", f"{__name__}:Page", "--host", host,
               "--port", str(port), "--production", "--no-open"]
    # solara reports usage to its authors unless told not to: a workshop tool should not
    environment = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", **os.environ,
                   SCENARIO_VARIABLE: scenario}
    print(f"cxsim dashboard: {scenario} at http://{host}:{port}/ (Ctrl-C stops it)",
          flush=True)
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(sys.executable, command, environment)
    return subprocess.call(command, env=environment)  # pragma: no cover (Windows)
