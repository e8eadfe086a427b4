"""The one parameter structure of cxsim.

Every scalar parameter of the model is declared once, in :data:`PARAMETERS`, with
its section, default, allowed range, unit, meaning and the reason for its default.
The same declaration serves:

* scenario files and sweeps, which use the *nested* form
  (``{"organisation": {"silo_strength": 0.6}}`` or the dotted key
  ``organisation.silo_strength``);
* Mesa's ``SolaraViz`` sliders and ``batch_run``, which use the *flat* form: the
  model's keyword parameters are the parameter names themselves
  (``CXModel(silo_strength=0.6)``); names are unique across sections.

A :class:`Config` is an immutable, validated set of values; a run is fully
determined by ``(Config, interventions, seed)``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from cxsim.core.validation import (
    ParameterError,
    Rule,
    check_value,
    show_value,
    table_error_line,
    table_model,
)

__all__ = ["PARAMETERS", "Config", "Parameter", "ParameterError", "lookup", "show_value"]


@dataclass(frozen=True)
class Parameter:
    """Declaration of one scalar model parameter."""

    section: str
    name: str
    default: float | int | bool
    low: float
    high: float
    unit: str
    description: str
    reason: str

    @property
    def kind(self) -> type:
        return type(self.default)

    @property
    def path(self) -> str:
        """Dotted key of the nested form, e.g. ``organisation.silo_strength``."""
        return f"{self.section}.{self.name}"

    @functools.cached_property
    def rule(self) -> Rule:
        """What this parameter accepts, as a :class:`~cxsim.core.validation.Rule` (numbers
        written as text are accepted: command-line values)."""
        kind = {bool: "bool", int: "int"}.get(self.kind, "float")
        return Rule(kind, self.low, self.high, unit=self.unit, description=self.description,
                    parse_text=True)

    def allowed(self) -> str:
        return self.rule.allowed()

    def validate(self, value: Any) -> float | int | bool:
        """Return ``value`` converted to this parameter's type, or raise ParameterError."""
        return check_value(self.rule, value, self.path)


P = Parameter

#: Every scalar parameter, grouped by section. Order is the documentation order.
PARAMETERS: tuple[Parameter, ...] = (
    # --- run -------------------------------------------------------------------
    P("run", "burn_in_days", 730, 0, 3650, "days",
      "Warm-up before interventions start; the baseline is measured at its end.",
      "Two years let the slow parts settle from their initial draws: strain and queues, "
      "customers' loyalty and the market (the workforce starts already selected as "
      "turnover selects it); with the routine training, new defects and the market's "
      "renewal no headline metric of the default baseline then drifts over the year "
      "(docs/validation.md, baseline at rest: 7 of 11 shown at rest, 4 too noisy at 20 "
      "seeds to bound within their tolerance)."),
    P("run", "days", 365, 1, 3650, "days",
      "Horizon after the warm-up (interventions' day 0 is the first day after it).",
      "One year of interventions, the brief's default horizon."),
    P("run", "summary_window_days", 30, 1, 365, "days",
      "Final summary values are means over the last this-many days.",
      "A month smooths day-to-day survey noise while staying a 'final' value."),
    # --- organisation ---------------------------------------------------------
    P("organisation", "n_employees", 1000, 20, 200_000, "people",
      "Number of employee positions.", "A mid-sized organisation."),
    P("organisation", "span_of_control", 8, 2, 40, "reports per manager",
      "Frontline employees per manager.", "Typical span in service organisations (6-10)."),
    P("organisation", "business_units", 4, 1, 100, "units",
      "Business units (account teams, regions): every customer belongs to one, and each "
      "department's teams are spread over them; a customer is served by their unit's staff "
      "where the department has any there.",
      "Service organisations split their customers into units or account teams; four keep "
      "several teams of each customer-facing department in every unit at default sizes."),
    P("organisation", "unit_climate_sd", 0.5, 0.0, 5.0, "logit",
      "Spread between business units of their local working climate (the unit's own "
      "management: how its leaders run it, its markets and workload history), a per-unit "
      "offset on every member's disposition to engage, drawn once per run.",
      "Local management explains most of the variance in engagement between units (Gallup: "
      "at least 70% of it); units of one company differ by tens of points in their "
      "engaged share, which 0.5 on the logit gives at the default disposition spread."),
    P("organisation", "silo_strength", 0.7, 0.0, 1.0, "share",
      "How few informal ties cross departments: 0 fully mixed, 1 none.",
      "Baseline organisations are mostly siloed (the brief's question)."),
    P("organisation", "ties_per_employee", 8.0, 1.0, 60.0, "ties",
      "Mean number of informal ties of an employee (besides reporting lines).",
      "Close work-network size reported in organisational network studies (5-10)."),
    P("organisation", "cx_ownership", 0.2, 0.0, 1.0, "share",
      "How far CX is owned beyond support: 0 support alone, 1 every department "
      "recovers problems at its own touchpoints and feels responsible.",
      "In most baseline organisations support carries CX largely alone."),
    # --- culture --------------------------------------------------------------
    P("culture", "leadership_commitment", 0.3, 0.0, 1.0, "level",
      "Executives' visible commitment to the intended experience.",
      "Low-to-middling commitment is the common baseline."),
    P("culture", "coaching_share", 0.3, 0.0, 1.0, "share of managers",
      "Share of managers who coach their team (amplify the leadership signal).",
      "Roughly a third of managers coach regularly in engagement surveys."),
    P("culture", "coaching_amplification", 1.3, 1.0, 3.0, "factor",
      "How much a coaching manager amplifies the signal from above.", "Moderate amplification."),
    P("culture", "non_coaching_damping", 0.5, 0.0, 1.0, "factor",
      "How much of the signal a non-coaching manager passes on.",
      "Half the message is lost without coaching (cascade attenuation)."),
    P("culture", "leadership_rate", 0.01, 0.0, 0.2, "per day",
      "Rate at which customer-centricity moves toward the leadership signal.",
      "Culture shifts over months, not days."),
    P("culture", "social_influence_rate", 0.02, 0.0, 0.5, "per day",
      "Rate at which engagement and customer-centricity drift toward network neighbours.",
      "Peer influence acts over weeks."),
    P("culture", "leader_weight", 3.0, 1.0, 20.0, "factor",
      "Weight of a manager's or executive's opinion relative to a peer's (role modelling).",
      "Leaders are the strongest single influence on engagement."),
    P("culture", "engagement_rate", 0.03, 0.0, 0.5, "per day",
      "Rate at which engagement moves toward its job-demands/resources target.",
      "Engagement responds to working conditions within a month or two."),
    P("culture", "disposition_sd", 1.3, 0.0, 5.0, "logit",
      "Spread of employees' personal disposition to engage (a trait, on the logit scale).",
      "People differ: the same conditions engage some and not others."),
    P("culture", "engaged_threshold", 0.65, 0.0, 1.0, "engagement level",
      "An employee is counted as engaged at or above this engagement.",
      "Matches Gallup's 'engaged' being the top band of a 0-1 scale."),
    P("culture", "baseline_empowerment", 0.2, 0.0, 1.0, "level",
      "Decision authority of frontline employees before any intervention.",
      "Most frontline staff need approval for recovery actions."),
    P("culture", "guidelines_clarity", 0.3, 0.0, 1.0, "level",
      "How clear the guidelines for using authority are.", "Unclear guidelines are common."),
    P("culture", "recognition_fade_days", 21.0, 1.0, 365.0, "days",
      "Half-life of the engagement lift from one recognition.",
      "Hedonic adaptation: recognition effects fade within weeks."),
    P("culture", "resistance_dip", 0.05, 0.0, 0.5, "engagement",
      "Largest dip of engagement target while an intervention is being adopted.",
      "Change fatigue: a small, temporary dip."),
    # --- training -------------------------------------------------------------
    P("training", "baseline_skill", 0.4, 0.0, 1.0, "level",
      "Mean CX skill of employees at the start.", "Partly trained workforce."),
    P("training", "learning_per_hour", 0.03, 0.0, 0.5, "per hour",
      "Share of the remaining skill gap closed by one hour of training.",
      "Eight hours close about a fifth of the gap (learning curve)."),
    P("training", "skill_decay", 0.002, 0.0, 0.05, "per day",
      "Share of skill above the floor lost each day without refreshers.",
      "Without practice about half of trained skill is lost within a year."),
    P("training", "routine_training_hours", 8.0, 0.0, 200.0, "hours per year",
      "The organisation's routine CX training for every employee, given in two sessions "
      "a year (part of the baseline; the training intervention adds to it).",
      "Most organisations give a day or so of refresher training a year; it is what "
      "holds skill steady against decay."),
    P("training", "skill_floor", 0.1, 0.0, 1.0, "level",
      "Skill never decays below this.", "Basic competence stays."),
    P("training", "on_the_job_learning", 0.0005, 0.0, 0.05, "per contact",
      "Skill gained per customer contact (scaled by remaining gap).",
      "Experience teaches slowly."),
    P("training", "new_hire_skill", 0.15, 0.0, 1.0, "level",
      "Skill of new hires.", "New hires start largely unskilled."),
    # --- workload -------------------------------------------------------------
    P("workload", "contact_capacity", 4.2, 1.0, 200.0, "contacts per day",
      "Contacts a frontline employee handles in a day without strain.",
      "Assisted contacts of full effort an employee can give real attention in a day "
      "besides other duties."),
    P("workload", "manager_service_share", 0.4, 0.0, 1.0, "share",
      "Share of a manager's day available for escalated customer contacts.",
      "Managers spend most of their day leading their team; escalations beyond what the "
      "rest allows go to a frontline colleague."),
    P("workload", "strain_build_rate", 0.06, 0.0, 1.0, "per day",
      "Rate at which excess demand (not met by skill, authority, tools) builds strain.",
      "Burnout develops over weeks of overload."),
    P("workload", "strain_recovery_rate", 0.02, 0.0, 1.0, "per day",
      "Rate at which strain recovers each day.",
      "Sets, with the build rate, where strain settles for a given excess demand."),
    P("workload", "burnout_threshold", 0.6, 0.0, 1.0, "strain",
      "An employee counts as burnt out at or above this strain.",
      "Upper band of the 0-1 strain scale."),
    P("workload", "base_quit_rate", 0.10, 0.0, 2.0, "per year",
      "Annual voluntary turnover of an unstrained, engaged employee.",
      "Around 10%/year voluntary turnover outside retail and contact centres."),
    P("workload", "strain_quit_factor", 4.0, 0.0, 50.0, "factor",
      "Multiplier on quitting per unit strain.", "Burnt-out staff quit several times as often."),
    P("workload", "disengaged_quit_factor", 1.0, 0.0, 50.0, "factor",
      "Multiplier on quitting per unit of disengagement (1 - engagement).",
      "Disengaged staff quit more."),
    P("workload", "hiring_delay_days", 30, 0, 365, "days",
      "Days a vacated position stays empty before the hire starts.", "About a month to hire."),
    P("workload", "hire_engagement", 0.55, 0.0, 1.0, "level",
      "Mean engagement of new hires (hiring profile).", "Hires start moderately engaged."),
    P("workload", "hire_centricity", 0.35, 0.0, 1.0, "level",
      "Mean customer-centricity of new hires (hiring profile).",
      "Hiring rarely screens for CX values by default."),
    # --- customers ------------------------------------------------------------
    P("customers", "n_customers", 100_000, 100, 20_000_000, "customers",
      "Active customers at the start.", "A mid-sized base: 100 customers per employee."),
    P("customers", "prospect_pool_share", 1.0, 0.0, 10.0, "x customers",
      "Size of the reachable market of prospects, as a multiple of n_customers.",
      "The market is about as large again as the current base."),
    P("customers", "market_return_days", 180, 1, 3650, "days",
      "Days after which a churned customer's place in the market is taken by a new "
      "prospect (the market renews itself).",
      "People leave a supplier, then the market: new buyers enter about as fast as "
      "customers leave; half a year keeps a lost customer out of reach for a while."),
    P("customers", "contact_interval_days", 30.0, 1.0, 365.0, "days",
      "Mean days between a customer's routine contacts.", "About one contact a month."),
    P("customers", "digital_share", 0.3, 0.0, 1.0, "share",
      "Share of routine contacts served by the digital channel (owned by IT).",
      "A third of routine contacts are self-service."),
    P("customers", "onboarding_days", 30, 0, 365, "days",
      "New customers' contacts go to onboarding during this period.", "A month of onboarding."),
    P("customers", "contract_days", 365, 30, 3650, "days",
      "Length of a contract; renewal is decided at its end.", "Annual contracts."),
    P("customers", "response_rate", 0.2, 0.0, 1.0, "share",
      "Share of interactions followed by a survey answer (CSAT and NPS).",
      "Typical transactional survey response rate."),
    P("customers", "expectation_adaptation", 0.02, 0.0, 1.0, "per contact",
      "Share of the gap between experience and expectation closed per contact.",
      "Expectations adapt slowly to what customers get."),
    P("customers", "loss_aversion", 2.0, 1.0, 5.0, "factor",
      "How much more a negative disconfirmation weighs than a positive one.",
      "Bad contacts weigh about twice a good one."),
    P("customers", "peak_weight", 0.35, 0.0, 1.0, "share",
      "Weight of the most intense remembered moment (peak) in judgement.",
      "Peak-end rule: peak and end carry most of the memory."),
    P("customers", "end_weight", 0.35, 0.0, 1.0, "share",
      "Weight of the latest moment (end) in judgement.", "Peak-end rule."),
    P("customers", "memory_rate", 0.2, 0.0, 1.0, "per contact",
      "Rate at which the running memory of affect follows each contact.",
      "Memory spans the last handful of contacts."),
    P("customers", "peak_decay", 0.9, 0.0, 1.0, "factor per contact",
      "Remaining intensity of the remembered peak after each further contact.",
      "Peaks fade over about ten contacts."),
    P("customers", "satisfaction_gain", 4.0, 0.1, 20.0, "per affect unit",
      "Steepness of satisfaction as a function of remembered affect.",
      "Chosen so satisfaction spans the scale for realistic affects."),
    P("customers", "satisfaction_offset", 1.5, -5.0, 5.0, "logit",
      "Satisfaction (logit) when experiences exactly meet expectations.",
      "Meeting expectations leaves customers mildly satisfied."),
    P("customers", "loyalty_rate", 0.2, 0.0, 1.0, "per contact",
      "Rate at which loyalty follows satisfaction.",
      "Loyalty is slower than satisfaction: at about a contact a month it follows a lasting "
      "change in satisfaction within half a year (fitted by hand to P6's revenue; declared "
      "free in experiments/calibrate_patterns.py)."),
    P("customers", "contact_churn_hazard", 0.004, 0.0, 1.0, "per contact",
      "Probability that a neutral customer leaves after a contact.",
      "Small hazard outside renewal."),
    P("customers", "churn_sensitivity", 5.0, 0.0, 20.0, "per satisfaction unit",
      "How steeply the contact churn hazard rises as satisfaction falls.",
      "A dissatisfied customer is several times more likely to leave."),
    P("customers", "renewal_midpoint", 0.45, 0.0, 1.0, "loyalty",
      "Loyalty at which renewal is a coin flip.", "Most customers renew by inertia."),
    P("customers", "renewal_gain", 12.0, 0.0, 50.0, "per loyalty unit",
      "Steepness of renewal probability in loyalty.", "Renewal rises sharply with loyalty."),
    P("customers", "acquisition_rate", 0.21, 0.0, 5.0, "per year",
      "Baseline new customers per year as a share of n_customers (before word of mouth).",
      "Replaces typical churn so a neutral base stays roughly level."),
    P("customers", "referral_rate", 0.1, 0.0, 5.0, "per promoter per year",
      "New customers brought per promoter per year.", "Promoters refer occasionally."),
    P("customers", "deterrence_rate", 0.1, 0.0, 5.0, "per detractor per year",
      "Prospects deterred per detractor per year (before social amplification).",
      "Detractors talk as often as promoters."),
    P("customers", "social_amplification", 2.0, 1.0, 10.0, "factor",
      "How much further bad word of mouth travels than good.", "Complaints spread further."),
    P("customers", "spend_loyalty_elasticity", 3.0, 0.0, 5.0, "factor",
      "Relative change in spend per unit loyalty above or below 0.5.",
      "Loyal customers buy more (repurchase, upgrades, share of wallet): a fully loyal "
      "customer spends about 2.5 times an average one, a disloyal one (loyalty 0.3) 40% "
      "(Bain & Company on loyalty economics)."),
    # --- service --------------------------------------------------------------
    P("service", "defect_rate", 0.08, 0.0, 1.0, "per contact",
      "Probability that a routine contact at a defect-prone touchpoint reveals a problem.",
      "Several problems per customer per year."),
    P("service", "defect_floor", 0.02, 0.0, 1.0, "per contact",
      "Lowest defect rate that root-cause fixing can reach.", "Some problems always remain."),
    P("service", "root_cause_fix_rate", 0.002, 0.0, 0.2, "per pain point reaching the cause",
      "Share of the defect rate above the floor removed per pain point that reaches its cause "
      "department, per 1000 customers.",
      "Fixes come slowly and only when the signal arrives."),
    P("service", "defect_renewal_days", 120.0, 1.0, 3650.0, "days",
      "Time constant with which new defects arise as products, processes and staff change: "
      "without fixes each touchpoint's defect rate returns toward its natural rate "
      "(service.defect_rate) at this pace.",
      "Releases and process changes bring new problems every quarter or so; fixes hold "
      "only as long as the loop that found them keeps working."),
    P("service", "handoff_need", 0.5, 0.0, 1.0, "share",
      "Share of problems that need another department than the one contacted.",
      "Half of problems cross department lines (the cause sits elsewhere)."),
    P("service", "context_loss", 0.6, 0.0, 1.0, "share",
      "Context lost at a handoff at full silos without shared systems.",
      "Customers repeat themselves at most handoffs."),
    P("service", "crm_integration", 0.2, 0.0, 1.0, "level",
      "Shared systems and tools (CRM, knowledge base) available to employees.",
      "Fragmented systems are the baseline."),
    P("service", "shared_metrics", 0.0, 0.0, 1.0, "level",
      "Extent of shared CX metrics and incentives across departments.",
      "Departments are measured on their own targets by default."),
    P("service", "voc_loop", 0.1, 0.0, 1.0, "level",
      "Strength of a formal voice-of-customer loop routing pain points to their causes.",
      "Little formal routing of feedback at baseline."),
    P("service", "noise_sd", 0.1, 0.0, 1.0, "quality",
      "Standard deviation of per-interaction quality noise.", "Moderate day-to-day variation."),
    P("service", "inconsistency_factor", 3.0, 0.0, 20.0, "factor",
      "Extra noise from authority used without skill or guidelines.",
      "Empowerment without guidelines makes experiences inconsistent."),
    P("service", "max_contacts", 4, 1, 20, "contacts",
      "Contacts after which an unresolved problem is abandoned (unresolved).",
      "Customers give up after a few attempts."),
    P("service", "escalate_after", 3, 1, 20, "contacts",
      "From this contact on, a problem is escalated to a manager.",
      "The third contact about the same problem escalates."),
    P("service", "abandonment_rate", 0.08, 0.0, 5.0, "per unit wait",
      "Customers giving up while they wait, per unit of the wait index (0 below 80% "
      "utilisation, 1 at full utilisation).",
      "Contact centres near full utilisation lose several percent of contacts to "
      "abandonment, and most of them when understaffed."),
    P("service", "wait_penalty", 0.1, 0.0, 1.0, "experience per unit wait",
      "Experience lost by a customer who waited one unit of the wait index.",
      "Waiting is among the strongest drivers of dissatisfaction with service."),
    P("service", "repeat_delay_days", 3, 1, 60, "days",
      "Mean days before a customer with an open problem contacts again.", "A few days."),
    # --- economics ------------------------------------------------------------
    P("economics", "revenue_per_customer", 1200.0, 0.0, 1e7, "currency per year",
      "Mean annual revenue of a customer (segment values scale from it).", "Mid-market B2C."),
    P("economics", "salary_per_employee", 60_000.0, 0.0, 1e7, "currency per year",
      "Mean fully loaded cost of an employee (for layoffs and time spent training).",
      "Mid-level salary with overheads."),
    P("economics", "hiring_cost", 8000.0, 0.0, 1e7, "currency per hire",
      "Cost of replacing a leaver: recruiting, onboarding and formal induction, booked "
      "on the day of the hire.",
      "Boushey and Glynn (2012, Center for American Progress) put the typical cost of "
      "replacing an employee paid under $50,000 at 16-20% of salary, and SHRM's "
      "cost-per-hire benchmark for recruiting alone is about $4,700; 8,000 is 13% of the "
      "fully loaded cost here. The vacancy's lost work and the new hire's low skill, the "
      "rest of those estimates, are simulated (vacant positions, skill growth), not "
      "booked."),
    P("economics", "cost_of_sales_share", 0.55, 0.0, 1.0, "share of revenue",
      "Share of revenue spent on everything but the customer-facing workforce (what is "
      "sold, its delivery, premises, systems, marketing): operating profit is revenue x "
      "(1 - this share) - salaries - hiring cost. Used for business units' profit.",
      "Set, not fitted: it gives the default organisation an operating margin near 10%, "
      "the typical operating margin of service businesses (Damodaran's margins by "
      "industry, US, 2024)."),
)

PARAMETERS_BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(p.section for p in PARAMETERS))

assert len(PARAMETERS_BY_NAME) == len(PARAMETERS), "parameter names must be unique"


def section_rules(section: str) -> dict[str, Rule]:
    """What each parameter of ``[section]`` accepts, in documentation order."""
    return {p.name: p.rule for p in PARAMETERS if p.section == section}


@functools.cache
def section_model(section: str) -> type[BaseModel]:
    """The pydantic model of a scenario file's ``[section]`` table of parameters."""
    return table_model(f"{section.title()}Parameters", section_rules(section),
                       {p.name: p.default for p in PARAMETERS if p.section == section},
                       doc=f"Parameters of [{section}]; see docs/parameters.md.")


def section_error_line(error: Any, loc: tuple, section: str, body: Any) -> str:
    """One line for a pydantic error at ``loc`` inside the ``[section]`` table ``body``."""
    if not loc:
        return (f"{section} = {show_value(body)} is not allowed: expected a table "
                f"[{section}] of parameters")
    return table_error_line(error, loc, section, section_rules(section), body,
                            unknown=lambda name: _unknown_parameter(f"{section}.{name}"))


def lookup(key: str) -> Parameter:
    """Find a parameter by flat name (``silo_strength``) or dotted path."""
    if not isinstance(key, str):
        raise ParameterError(f"parameter name {show_value(key)} is not allowed: expected text")
    if "." in key:
        section, _, name = key.partition(".")
        parameter = PARAMETERS_BY_NAME.get(name)
        if parameter is not None and parameter.section == section:
            return parameter
    elif key in PARAMETERS_BY_NAME:
        return PARAMETERS_BY_NAME[key]
    raise ParameterError(_unknown_parameter(key))


def _unknown_parameter(key: str) -> str:
    return f"unknown parameter {show_value(key)}: {_suggest(key)}"


def _suggest_among(name: str, allowed: Iterable[str], otherwise: str) -> str:
    import difflib

    allowed = list(allowed)
    close = difflib.get_close_matches(name, allowed, n=3)
    listed = f"{otherwise} " + ", ".join(allowed)
    return f"did you mean {' or '.join(close)}? ({listed})" if close else listed


def _suggest(key: str) -> str:
    import difflib

    leaf = key.rpartition(".")[2]
    names = list(PARAMETERS_BY_NAME)
    close = difflib.get_close_matches(leaf, names, n=3)
    close += [n for n in names if leaf and leaf in n and n not in close][: 3 - len(close)]
    if close:
        return "did you mean " + ", ".join(PARAMETERS_BY_NAME[c].path for c in close) + "?"
    return "allowed sections are " + ", ".join(SECTIONS) + " (see docs/parameters.md)"


class Config(Mapping[str, Any]):
    """An immutable, validated set of parameter values, keyed by flat name.

    Build it with :meth:`from_flat` (keyword names), :meth:`from_nested` (scenario
    file sections) or :meth:`with_overrides` (dotted keys); unknown names and
    out-of-range values raise :class:`ParameterError`. Attribute access reads
    values: ``config.silo_strength``.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None):
        merged = {p.name: p.default for p in PARAMETERS}
        errors: list[str] = []
        for key, value in (values or {}).items():
            try:
                parameter = lookup(key)
                merged[parameter.name] = parameter.validate(value)
            except ParameterError as error:
                errors.extend(error.errors)
        if errors:
            raise ParameterError(errors)
        if merged["peak_weight"] + merged["end_weight"] > 1.0:
            errors.append(
                f"customers.peak_weight + customers.end_weight = "
                f"{merged['peak_weight'] + merged['end_weight']:g} is not allowed: "
                "their sum must be at most 1"
            )
        if merged["defect_floor"] > merged["defect_rate"]:
            errors.append(
                f"service.defect_floor = {merged['defect_floor']:g} is not allowed: "
                f"it must not exceed service.defect_rate = {merged['defect_rate']:g}"
            )
        if errors:
            raise ParameterError(errors)
        object.__setattr__(self, "_values", merged)

    @classmethod
    def from_flat(cls, values: Mapping[str, Any] | None = None) -> Config:
        return cls(values)

    @classmethod
    def from_nested(cls, sections: Mapping[str, Any]) -> Config:
        """Build from ``{section: {name: value}}``; top-level flat names are accepted too.

        Every unknown name and bad value is reported at once (one line each)."""
        flat: dict[str, Any] = {}
        errors: list[str] = []
        for section, body in sections.items():
            try:
                if isinstance(body, Mapping):
                    if section not in SECTIONS:
                        raise ParameterError(
                            f"unknown section {section!r}: "
                            + _suggest_among(str(section), SECTIONS, "allowed sections are"))
                    for name, value in body.items():
                        try:
                            flat[lookup(f"{section}.{name}").name] = value
                        except ParameterError as error:
                            errors.extend(error.errors)
                elif section in SECTIONS:
                    raise ParameterError(section_error_line(None, (), section, body))
                else:
                    flat[lookup(str(section)).name] = body
            except ParameterError as error:
                errors.extend(error.errors)
        try:
            config = cls(flat)
        except ParameterError as error:
            errors.extend(error.errors)
        if errors:
            raise ParameterError(errors)
        return config

    def with_overrides(self, overrides: Mapping[str, Any]) -> Config:
        """A new Config with some values replaced (flat or dotted keys)."""
        values = dict(self._values)
        errors: list[str] = []
        for key, value in overrides.items():
            try:
                values[lookup(key).name] = value
            except ParameterError as error:
                errors.extend(error.errors)
        try:
            config = Config(values)
        except ParameterError as error:
            errors.extend(error.errors)
        if errors:
            raise ParameterError(errors)
        return config

    def to_nested(self) -> dict[str, dict[str, Any]]:
        nested: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
        for p in PARAMETERS:
            nested[p.section][p.name] = self._values[p.name]
        return nested

    def to_flat(self) -> dict[str, Any]:
        return dict(self._values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy and pickle look up dunders before __init__ ran
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __reduce__(self):
        return (Config, (dict(self._values),))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Config is immutable: use with_overrides()")

    def __getitem__(self, key: str) -> Any:
        return self._values[lookup(key).name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items())))

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != PARAMETERS_BY_NAME[k].default}
        return f"Config({changed})"


def parse_assignment(text: str) -> tuple[str, str]:
    """Split ``key=value`` from the command line, with a clear error."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(f"--set {text!r} is not allowed: expected dotted.key=value")
    return key.strip(), value.strip()


def names(sections: Iterable[str] | None = None) -> list[str]:
    """Flat parameter names, optionally restricted to some sections."""
    wanted = set(sections) if sections is not None else set(SECTIONS)
    return [p.name for p in PARAMETERS if p.section in wanted]


def parameters_markdown() -> str:
    """The parameter reference (docs/parameters.md), generated from :data:`PARAMETERS`."""
    lines = [
        "# Parameter reference",
        "",
        "Generated from `cxsim/core/parameters.py` by `cxsim params --markdown`; do not edit "
        "by hand.",
        "",
        "In a scenario file a parameter sits in its section (`[organisation]`, "
        "`silo_strength = 0.6`); on the command line use its dotted key "
        "(`--set organisation.silo_strength=0.6`); in Python and Mesa's SolaraViz or "
        "`batch_run` use its name as a keyword (`CXModel(silo_strength=0.6)`).",
    ]
    for section in SECTIONS:
        lines += ["", f"## {section}", "",
                  "| key | default | allowed | meaning | why this default |",
                  "|---|---|---|---|---|"]
        for p in PARAMETERS:
            if p.section == section:
                lines.append(f"| `{p.path}` | {p.default} | {p.allowed()} | {p.description} "
                             f"| {p.reason} |")
    return "\n".join(lines) + "\n"
