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
import solara
from matplotlib.figure import Figure

with warnings.catch_warnings():
    # Mesa 3.3's ComponentsView trips solara's hook check on import (fixed in Mesa 3.5)
    warnings.filterwarnings("ignore", message=".*found despite early return",
                            category=UserWarning)
    from mesa.visualization import Slider, SolaraViz, make_plot_component
    from mesa.visualization.utils import update_counter

from cxsim.core.parameters import PARAMETERS_BY_NAME, Config, Parameter, ParameterError
from cxsim.engine.metrics import DEPARTMENT_FIELDS
from cxsim.engine.model import CXModel
from cxsim.experiments.scenarios import Scenario, library, load_scenario

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

#: The live plots: (DataCollector columns and their colours, y-axis label, fixed limits).
PLOTS: tuple[tuple[dict[str, str], str, tuple[float, float] | None], ...] = (
    ({"csat": "#0072B2", "fcr": "#009E73"}, "customers: CSAT and FCR (share)", (0.0, 1.0)),
    ({"nps": "#CC79A7"}, "NPS (points)", (-100.0, 100.0)),
    ({"engagement_share": "#E69F00", "burnout_share": "#D55E00"},
     "employees: engaged and burnt out (share)", (0.0, 1.0)),
    ({"churn_rate": "#000000"}, "customer churn (per year)", None),
    ({"revenue": "#56B4E9"}, "revenue (currency per day)", None),
)

_LEGEND = {"csat": "CSAT", "fcr": "FCR", "nps": "NPS", "engagement_share": "engaged",
           "burnout_share": "burnt out", "churn_rate": "churn", "revenue": "revenue"}


def _chart_style(measure: dict[str, str], title: str,
                 limits: tuple[float, float] | None) -> Callable[[Any], Any]:
    """Mesa's Altair plot with a titled axis, fixed limits and readable legend names."""
    def post_process(chart):
        scale = alt.Scale(domain=list(limits)) if limits is not None else alt.Undefined
        names = " : ".join(f"datum.label == '{key}' ? '{text}'" for key, text in _LEGEND.items())
        return chart.encode(
            x=alt.X("Step:Q", title="day", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("Value:Q", title=title, scale=scale),
            color=alt.Color("Measure:N", title=None,
                            scale=alt.Scale(domain=list(measure), range=list(measure.values())),
                            legend=alt.Legend(orient="top", labelExpr=f"{names} : datum.label")),
        ).properties(width=380, height=200)
    return post_process


def plot_components() -> list:
    """Mesa plot components of the DataCollector's daily metrics (:data:`PLOTS`), drawn
    with Altair in the browser (the server only sends the numbers)."""
    return [make_plot_component(measure, post_process=_chart_style(measure, title, limits),
                                backend="altair")
            for measure, title, limits in PLOTS]


def department_burnout_figure(model: CXModel) -> Figure:
    """Today's share of burnt-out employees in each department (bars), as the model's
    recorder measured it at the end of the day."""
    burnout = model.recorder.by_department[model.day, :, DEPARTMENT_FIELDS.index(
        "burnout_share")]
    names = model.structure.department_names
    figure = Figure(figsize=(5.0, 3.0), layout="constrained")
    ax = figure.subplots()
    ax.barh(names, burnout, color="#D55E00")
    ax.set_xlim(0.0, 1.0)
    ax.invert_yaxis()
    ax.set_xlabel(f"burnt out today, day {model.day} (share of the department)")
    return figure


@solara.component
def DepartmentBurnout(model: CXModel):
    """Per-department burnout bars, redrawn after every step."""
    update_counter.get()
    solara.FigureMatplotlib(department_burnout_figure(model), format="png")


@solara.component
def DayInformation(model: CXModel):
    """Where the run is: the day, and whether the interventions have started."""
    update_counter.get()
    if model.day < model.burn_in:
        phase = f"warm-up: interventions start on day {model.burn_in}"
    else:
        phase = f"intervention day {model.day - model.burn_in}"
    solara.Text(f"Day {model.day} of {model.horizon} ({phase})")


def components() -> list:
    """Everything the dashboard's main area shows, as SolaraViz components."""
    return [*plot_components(), DepartmentBurnout]


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
        DayInformation(live.value)
        LeverHelp()
    if not switching.value:
        SolaraViz(live, components=components(), model_params=chosen.value.params,
                  name=f"cxsim: {chosen.value.scenario.name}")


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
    environment = dict(os.environ, **{SCENARIO_VARIABLE: scenario})
    print(f"cxsim dashboard: {scenario} at http://{host}:{port}/ (Ctrl-C stops it)",
          flush=True)
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(sys.executable, command, environment)
    return subprocess.call(command, env=environment)  # pragma: no cover (Windows)
