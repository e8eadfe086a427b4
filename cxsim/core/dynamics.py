"""The model's dynamics as small pure functions on numpy arrays.

Each function takes arrays (one row per employee, customer or interaction) and
returns new arrays; none draws random numbers unless it is given the draws or a
generator. They are the building blocks of :class:`cxsim.engine.model.CXModel`'s daily
phases and are unit-tested one by one.
"""

from __future__ import annotations

import numpy as np

try:  # numpy's clip ufunc: what np.clip calls for these bounds, without its Python checks
    from numpy._core.umath import clip as _clip
except ImportError:  # numpy < 2
    from numpy.core.umath import clip as _clip


def clip01(x: np.ndarray) -> np.ndarray:
    """Clip values into [0, 1]."""
    return _clip(x, 0.0, 1.0)


def logistic(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def choose(condition: np.ndarray | bool, if_true: np.ndarray | float,
           if_false: np.ndarray | float) -> np.ndarray:
    """``np.where(condition, if_true, if_false)``; compiled code applies it to one value at
    a time (see :mod:`cxsim.engine.compiled`)."""
    return np.where(condition, if_true, if_false)


# --- employees -----------------------------------------------------------------


def neighbour_mean(values: np.ndarray, source: np.ndarray, target: np.ndarray,
                   weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean of ``values`` over each node's in-neighbours.

    ``source -> target`` are directed edges (give both directions for an
    undirected network) with ``weight`` (the influence of ``source`` on ``target``).
    Returns ``(mean, total_weight)``; nodes with no weight get their own value.
    """
    n = values.shape[0]
    total = np.bincount(target, weight, n)
    summed = np.bincount(target, weight * values[source], n)
    has_weight = total > 0
    return choose(has_weight, summed / choose(has_weight, total, 1.0), values), total


def drift(current: np.ndarray, target: np.ndarray, rate: float | np.ndarray) -> np.ndarray:
    """Move ``current`` a share ``rate`` of the way toward ``target``."""
    return current + rate * (target - current)


def cascade_signal(commitment: np.ndarray, level: np.ndarray, boss: np.ndarray,
                   coaches: np.ndarray, amplification: float, damping: float) -> np.ndarray:
    """Leadership signal each employee receives, cascading executive -> manager -> team.

    ``commitment`` is the executives' commitment seen by each employee's
    department; executives (level 0) hold it themselves, managers (level 1) pass
    it on amplified if they coach (``coaches``) and damped if not, and frontline
    employees (level 2) receive their manager's signal.
    """
    manager_signal = commitment * choose(coaches, amplification, damping)
    signal = choose(level == 0, commitment, manager_signal)
    frontline = level == 2
    signal[frontline] = manager_signal[boss[frontline]]
    return clip01(signal)


def learning_curve(skill: np.ndarray, hours: np.ndarray | float, rate: float) -> np.ndarray:
    """Skill after ``hours`` of training: each hour closes ``rate`` of the gap to 1."""
    return 1.0 - (1.0 - skill) * (1.0 - rate) ** hours


def skill_decay(skill: np.ndarray, decay: float, floor: float) -> np.ndarray:
    """One day's decay of skill above ``floor``."""
    return choose(skill > floor, floor + (skill - floor) * (1.0 - decay), skill)


def job_resources(skill: np.ndarray, empowerment: np.ndarray, tools: float | np.ndarray,
                  support: np.ndarray, information: np.ndarray) -> np.ndarray:
    """Resources that meet job demands: skill, authority, tools, the manager's support and
    access to information from other departments (``information``: 1 - the department's
    effective silo strength; siloed staff cannot get answers)."""
    return clip01(0.3 * skill + 0.2 * empowerment + 0.15 * tools + 0.2 * support
                  + 0.15 * information)


def strain_update(strain: np.ndarray, demand: np.ndarray, resources: np.ndarray,
                  build_rate: float, recovery_rate: float) -> np.ndarray:
    """One day of strain: demand beyond what resources absorb builds it; it always recovers.

    ``demand`` is load relative to capacity (1 = a full day). Resources absorb up
    to ``0.5 + resources`` of demand. Under a constant excess ``e`` strain settles
    at ``build_rate * e / (build_rate * e + recovery_rate)``.
    """
    excess = np.maximum(demand - (0.5 + resources), 0.0)
    return clip01(strain + build_rate * excess * (1.0 - strain) - recovery_rate * strain)


def engagement_target(resources: np.ndarray, strain: np.ndarray, leadership: np.ndarray,
                      recognition: np.ndarray, centricity: np.ndarray,
                      change_fatigue: float | np.ndarray,
                      disposition: np.ndarray | float = 0.0) -> np.ndarray:
    """Engagement an employee's working conditions pull toward (job demands-resources).

    ``disposition`` is a personal trait on the logit scale (0 = average).
    """
    x = (-0.02 + 1.2 * resources - 2.5 * strain + 0.4 * leadership + 1.2 * recognition
         + 0.2 * centricity + disposition)
    return clip01(logistic(x) - change_fatigue)


def quit_probability(base_rate_per_year: float, strain: np.ndarray, engagement: np.ndarray,
                     strain_factor: float, disengaged_factor: float) -> np.ndarray:
    """Daily probability of quitting."""
    daily = base_rate_per_year / 365.0
    return np.minimum(
        daily * (1.0 + strain_factor * strain) * (1.0 + disengaged_factor * (1 - engagement)), 1.0
    )


# --- interactions --------------------------------------------------------------


def handoff_loss(silo_strength: float, shared_systems: float, coordination: float,
                 context_loss: float) -> float:
    """Share of a problem's context lost when it crosses a department boundary."""
    return context_loss * silo_strength * (1.0 - shared_systems) * (1.0 - coordination)


def interaction_quality(skill: np.ndarray, engagement: np.ndarray, centricity: np.ndarray,
                        authority: np.ndarray, tools: np.ndarray | float,
                        guidelines: np.ndarray | float, loss: np.ndarray | float,
                        noise: np.ndarray, noise_sd: float,
                        inconsistency: float) -> np.ndarray:
    """Quality of each interaction in [0, 1].

    The serving employee's skill, engagement, customer-centricity and authority
    and the tools add; context lost in handoffs subtracts. ``noise`` are standard
    normal draws, scaled by ``noise_sd`` and widened where authority is used
    without skill or guidelines (inconsistent experiences).
    """
    mean = (0.30 + 0.25 * skill + 0.15 * engagement + 0.30 * centricity + 0.12 * authority
            + 0.08 * tools - 0.5 * loss)
    spread = noise_sd * (1.0 + inconsistency * authority * (1.0 - guidelines) * (1.0 - skill))
    return clip01(mean + spread * noise)


def resolution_probability(skill: np.ndarray, authority: np.ndarray, tools: np.ndarray | float,
                           needs_handoff: np.ndarray, loss: np.ndarray | float,
                           centricity: np.ndarray | float = 0.0) -> np.ndarray:
    """Probability that a problem contact resolves the problem.

    Authority lets the employee fix it on the spot, and a customer-centric employee owns
    the customer's problem instead of passing it on; a problem that needs another
    department is resolved only if its context survives the handoff, unless the
    employee has the authority to own it end to end.
    """
    own = 0.3 + 0.35 * skill + 0.3 * authority + 0.1 * tools + 0.15 * centricity
    handoff_success = (1.0 - loss) * (0.6 + 0.4 * authority)
    return clip01(choose(needs_handoff, own * handoff_success, own))


# --- customers -----------------------------------------------------------------


def disconfirmation_affect(experience: np.ndarray, expectation: np.ndarray,
                           loss_aversion: float) -> np.ndarray:
    """Affect of one experience: experience minus expectation, losses weighted more."""
    gap = experience - expectation
    return choose(gap < 0, loss_aversion * gap, gap)


def remember(mean_affect: np.ndarray, peak_affect: np.ndarray, affect: np.ndarray,
             memory_rate: float, peak_decay: float) -> tuple[np.ndarray, np.ndarray]:
    """Update the running memory and the remembered peak (most intense moment)."""
    mean_affect = drift(mean_affect, affect, memory_rate)
    faded = peak_affect * peak_decay
    peak_affect = choose(np.abs(affect) >= np.abs(faded), affect, faded)
    return mean_affect, peak_affect


def judged_satisfaction(mean_affect: np.ndarray, peak_affect: np.ndarray,
                        end_affect: np.ndarray, peak_weight: float, end_weight: float,
                        gain: float, offset: float) -> np.ndarray:
    """Satisfaction in [0, 1] from remembered affect (peak-end rule)."""
    remembered = ((1.0 - peak_weight - end_weight) * mean_affect + peak_weight * peak_affect
                  + end_weight * end_affect)
    return logistic(offset + gain * remembered)


def csat_answer(satisfaction: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """CSAT survey answer 1-5 from satisfaction and standard normal ``noise``."""
    return _clip(np.rint(1.0 + 4.0 * satisfaction + 0.6 * noise), 1, 5).astype(np.int8)


def nps_answer(satisfaction: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Likelihood-to-recommend answer 0-10 from satisfaction and standard normal ``noise``."""
    return _clip(np.rint(11.0 * satisfaction - 0.5 + 1.0 * noise), 0, 10).astype(np.int8)


def contact_churn_probability(satisfaction: np.ndarray, hazard: float,
                              sensitivity: float) -> np.ndarray:
    """Probability of leaving right after a contact."""
    return np.minimum(hazard * np.exp(sensitivity * (0.5 - satisfaction)), 1.0)


def renewal_probability(loyalty: np.ndarray, midpoint: float, gain: float) -> np.ndarray:
    """Probability of renewing at the end of a contract."""
    return logistic(gain * (loyalty - midpoint))


def spend_multiplier(loyalty: np.ndarray, elasticity: float) -> np.ndarray:
    """Relative spend of a customer given loyalty (1 at loyalty 0.5)."""
    return np.maximum(1.0 + elasticity * (loyalty - 0.5), 0.0)


# --- shared constants and small rules used by both implementations ---------------

#: Workload of a problem contact relative to a routine support contact.
PROBLEM_EFFORT = 2.0
#: Share of the gap to the granted authority that employees close each day.
EMPOWERMENT_DRIFT = 0.02
#: Smoothing of daily load into the load employees feel (exponential, per day).
LOAD_SMOOTHING = 0.2
#: Habituation added by one recognition, and its half-life in days.
HABITUATION_STEP, HABITUATION_HALF_LIFE = 0.2, 180.0
#: Satisfaction at and above which a customer is a promoter (expected answer >= 9 of 10),
#: and below which a detractor (expected answer <= 6).
PROMOTER_SATISFACTION, DETRACTOR_SATISFACTION = 9.0 / 11.0, 7.0 / 11.0


def contact_experience(quality: np.ndarray, problem: np.ndarray, resolved: np.ndarray,
                       contacts_so_far: np.ndarray, abandoned: np.ndarray,
                       revealed: np.ndarray) -> np.ndarray:
    """What the customer experiences in a contact, in [0, 1].

    A problem contact starts from a deficit, a resolution recovers most of it,
    every repeat contact and giving up costs more; a routine contact that reveals
    a new problem (a defect) hurts.
    """
    problem_effect = (-0.2 + 0.25 * resolved - 0.05 * (contacts_so_far - 1) - 0.15 * abandoned)
    return clip01(quality + choose(problem, problem_effect, 0.0) - 0.2 * revealed)


def digital_capability(crm: float, staff_skill: float) -> float:
    """Quality inputs of the digital channel: its tools and the skill of the staff who run it."""
    return 0.4 + 0.3 * crm + 0.25 * staff_skill


def centricity_target(signal: np.ndarray, ownership: np.ndarray,
                      shared_metrics: np.ndarray) -> np.ndarray:
    """Customer-centricity that leadership, ownership of CX and shared metrics pull toward."""
    return clip01(0.1 + 0.5 * signal + 0.3 * ownership + 0.2 * shared_metrics)


def job_demand(load_average: np.ndarray, capacity: float | np.ndarray,
               utilisation: np.ndarray | float = 0.0) -> np.ndarray:
    """Job demand: a base of other duties plus customer load relative to capacity, plus
    the pressure of customers waiting for a frontline team that cannot serve them all
    (``utilisation`` of the team beyond :data:`OVERTIME`; 0 for managers, whose
    escalations beyond their room go to the frontline)."""
    return 0.3 + load_average / capacity + np.minimum(
        np.maximum(utilisation - OVERTIME, 0.0), MAX_QUEUE_PRESSURE)


# --- capacity and waiting ----------------------------------------------------------

#: Workload a frontline team can stretch to, as a share of its capacity, however long
#: the queue.
OVERTIME = 1.15
#: Utilisation at which customers start to wait (queueing delay grows beyond it).
QUEUE_START = 0.8
#: Cap on the wait index.
MAX_WAIT = 5.0
#: Cap on the queue pressure added to job demand.
MAX_QUEUE_PRESSURE = 1.0
#: Utilisation of a (department, level) with customers to serve and nobody to serve them.
NO_CAPACITY_UTILISATION = 20.0


def group_capacity(contact_capacity: float, capacity_lever: float,
                   manager_service_share: float, n_departments: int) -> np.ndarray:
    """Customer workload one employee of each (department, level) group can carry in a
    day (row ``department * 3 + level``): the contact capacity scaled by the capacity
    lever; for managers and executives only the share of their day left for escalations."""
    share = np.tile([manager_service_share, manager_service_share, 1.0], n_departments)
    return contact_capacity * capacity_lever * share


def utilisation_today(offered: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Offered workload over capacity for each (department, level); a group with work and
    no capacity is at :data:`NO_CAPACITY_UTILISATION`, one with neither at 0."""
    staffed = capacity > 0
    out = choose(staffed, offered / choose(staffed, capacity, 1.0),
                 choose(offered > 0, NO_CAPACITY_UTILISATION, 0.0))
    return np.minimum(out, NO_CAPACITY_UTILISATION)


def manager_room(utilisation: np.ndarray) -> np.ndarray:
    """Share of escalations the managers of a group take: all while their escalation
    workload is within what they can carry, beyond that as much as they can carry (the
    rest go to a frontline colleague)."""
    return np.minimum(1.0, 1.0 / np.maximum(utilisation, 1e-12))


def wait_index(utilisation: np.ndarray) -> np.ndarray:
    """How long customers wait, in units of the delay at full utilisation: 0 up to
    :data:`QUEUE_START` utilisation, 1 at full utilisation, growing beyond (capped at
    :data:`MAX_WAIT`)."""
    return _clip((utilisation - QUEUE_START) / (1.0 - QUEUE_START), 0.0, MAX_WAIT)


def reach_probability(utilisation: np.ndarray, abandonment: float) -> np.ndarray:
    """Probability that a contact reaches someone: customers give up while they wait
    (``abandonment`` per unit of :func:`wait_index`), and beyond :data:`OVERTIME` the
    team serves no more than it can carry however long the queue."""
    return np.minimum(np.exp(-abandonment * wait_index(utilisation)),
                      OVERTIME / np.maximum(utilisation, 1e-12))


def waited_experience(experience: np.ndarray, wait: np.ndarray,
                      wait_penalty: float) -> np.ndarray:
    """A contact's experience after waiting ``wait`` (:func:`wait_index`)."""
    return clip01(experience - wait_penalty * wait)


def manager_support(is_frontline: np.ndarray, boss_coaches: np.ndarray,
                    coaches: np.ndarray) -> np.ndarray:
    """Support from one's manager: coached frontline staff get much more of it."""
    return choose(is_frontline, 0.2 + 0.8 * boss_coaches, 0.5 + 0.5 * coaches)


def pain_flow(department_silo: np.ndarray, shared_metrics: np.ndarray, crm: float,
              voc: float) -> np.ndarray:
    """Probability that a pain point seen elsewhere reaches the department that causes it:
    through cross-department ties, shared metrics, shared systems or a formal VoC loop."""
    return 1.0 - department_silo * (1.0 - shared_metrics) * (1.0 - crm) * (1.0 - voc)


def root_cause_fix(defect_rate: np.ndarray, floor: np.ndarray, received_per_thousand: np.ndarray,
                   centricity: np.ndarray, fix_rate: float) -> np.ndarray:
    """Defect rates after one day of fixing the root causes of the pain points received."""
    return floor + (defect_rate - floor) * np.exp(-fix_rate * received_per_thousand * centricity)


def defect_renewal(defect_rate: np.ndarray, natural: np.ndarray,
                   renewal_days: float) -> np.ndarray:
    """One day of new defects: each defect rate moves ``1 / renewal_days`` of the way back
    toward its natural rate (what it would be with no root-cause fixing)."""
    return drift(defect_rate, natural, 1.0 / renewal_days)


def expected_acquisitions(acquisition_rate: float, n_customers: int, promoters: int,
                          detractors: int, referral_rate: float, deterrence_rate: float,
                          amplification: float, prospects_left: int, pool: int) -> float:
    """Expected new customers today: baseline marketing plus word of mouth (promoters refer,
    detractors deter, amplified), scaled by the prospects in the market (everyone in it
    who is not a customer) relative to the initial pool."""
    word_of_mouth = referral_rate * promoters - deterrence_rate * amplification * detractors
    daily = (acquisition_rate * n_customers + word_of_mouth) / 365.0
    return max(daily * prospects_left / max(pool, 1), 0.0)


def fade(value: np.ndarray, half_life_days: float) -> np.ndarray:
    """One day of exponential fading with the given half-life."""
    return value * 0.5 ** (1.0 / half_life_days)


def recognition_lift(recognition: np.ndarray, habituation: np.ndarray,
                     boost: float) -> tuple[np.ndarray, np.ndarray]:
    """A recognition lifts the recognition level; habituation shrinks the lift."""
    lift = boost / (1.0 + habituation)
    return recognition + lift * (1.0 - recognition), habituation + HABITUATION_STEP


def change_dip(resistance_dip: float, adoption: float) -> float:
    """Resistance to change: the engagement-target dip while a change is being adopted,
    largest (``resistance_dip``) half-way through adoption and gone at 0 and 1."""
    return resistance_dip * 4.0 * adoption * (1.0 - adoption)
