"""Random streams: one per purpose, counter-based, so that runs that share a seed share
their draws wherever their states agree (common random numbers).

A run's seed gives a :class:`numpy.random.SeedSequence`; each purpose (the channel a
contact takes, the server picked, the noise of a contact's quality, quits, ...) gets its
own child of it, spawned by its index in :data:`PURPOSES`. Draws that belong to one
entity (a customer row or an employee position) on one day are a hash of
``(purpose key, day, row)``: the splitmix64 finaliser applied to numpy ``uint64``
arrays, turned into a uniform number. So a customer's draw on a day does not depend on
which other customers contact that day, nor on how many draws another phase made: a
scenario and its baseline (same seed) give the same customer the same draw on the same
day. This is the idea of Starsim's per-agent "slot" random numbers, here a vectorised
counter-based generator (as Philox or Threefry are counter-based).

Draws that are not per entity and day (the initial organisation, the network, the ties
an intervention adds on a day) come from a :class:`numpy.random.Generator` seeded by
the purpose's child sequence, optionally extended by a counter such as the day.

Only numpy; no Mesa. Every function is deterministic in its inputs.
"""

from __future__ import annotations

import math

import numpy as np

from cxsim.core.parameters import ParameterError

#: Every purpose a run draws random numbers for, in a fixed order (a purpose's index
#: is its spawn key: never reorder, only append).
PURPOSES: tuple[str, ...] = (
    "organisation",     # initial workforce: engagement, skill, ..., fixed per-position draws
    "network",          # initial informal network
    "customers",        # initial customers and prospects: segment, expectation, loyalty...
    "route",            # a contact's touchpoint (routine, onboarding) and channel (digital)
    "server",           # which employee serves a contact
    "service_noise",    # noise of a contact's quality
    "outcome",          # a problem's resolution or a defect revealed; survey answered
    "survey_answers",   # noise of the CSAT and NPS answers
    "departure",        # renewal or churn after a contact; a pain point reaching its cause
    "problem",          # a new problem's route (at the source or support) and handoff need
    "repeat_delay",     # days until a repeat contact about an open problem
    "contact_calendar",  # a customer's calendar of routine contacts
    "acquisition",      # how many prospects buy today
    "quits",            # who quits today
    "hiring",           # a new hire's engagement and customer-centricity
    "disposition",      # a new hire's disposition to engage
    "ties",             # cross-department ties added by an intervention
    "tie_cuts",         # informal ties cut by a reorganisation
    "layoffs",          # positions eliminated by layoffs
    "queue",            # an escalation finding a free manager; a contact reaching someone
    "market",           # churned customers returning to the market as new prospects
    "units",            # each customer's business unit
    "unit_climate",     # each business unit's local working climate
)

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_GAMMA_INT, _MIX1_INT, _MIX2_INT = int(_GAMMA), int(_MIX1), int(_MIX2)
_MASK64 = 2 ** 64 - 1
_2_POW_32 = 2.0 ** -32
_2_POW_53 = 2.0 ** -53
#: Rows and calendar counters must stay below this (they share a 64-bit counter with the day).
MAX_ROWS = 2 ** 32


def check_seed(seed: object) -> int:
    """A run's seed as a Python int; a clear error naming ``rng`` for anything else.

    Raises ParameterError unless ``seed`` is a whole number >= 0 (a numpy integer is
    fine; ``True`` is not)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"rng = {seed!r} is not allowed: expected a whole-number seed "
                             ">= 0, or none for a fresh seed from the operating system")
    return int(seed)


def fresh_seed() -> int:
    """A seed from the operating system's entropy (a 128-bit int), to be recorded."""
    return int(np.random.SeedSequence().entropy)


def _mix(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, in place on a uint64 array."""
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return z


class RandomStreams:
    """The random streams of one run, all derived from its seed.

    Args:
        seed: the run's seed (a whole number >= 0).

    Counter-based draws take ``(purpose, counter, rows)``: ``counter`` is usually the
    model's day, ``rows`` the customer rows or employee positions drawn for. The same
    arguments always give the same numbers, in any process.
    """

    def __init__(self, seed: int):
        self.seed = check_seed(seed)
        children = np.random.SeedSequence(self.seed).spawn(len(PURPOSES))
        self._children = dict(zip(PURPOSES, children))
        self._keys = {name: child.generate_state(1, np.uint64)[0]
                      for name, child in self._children.items()}

    # ------------------------------------------------------------------ counter-based

    def bits(self, purpose: str, counter: int | np.ndarray, rows: np.ndarray) -> np.ndarray:
        """64 random bits for each of ``rows`` (uint64), a function of
        ``(purpose, counter, row)`` only; ``counter`` is one int for all rows or one per
        row (non-negative, below 2**31; rows below 2**32)."""
        if isinstance(counter, np.ndarray):
            z = np.left_shift(counter, 32, dtype=np.int64)
            z |= rows
            z = z.view(np.uint64)
            z *= _GAMMA
            z += self._keys[purpose]
        else:  # (counter * 2**32 + row) * gamma + key, the constant part folded
            z = np.asarray(rows).astype(np.uint64)
            z *= _GAMMA
            z += np.uint64(((int(counter) << 32) * int(_GAMMA) + int(self._keys[purpose]))
                           % 2 ** 64)
        return _mix(z)

    def key(self, purpose: str) -> np.uint64:
        """The key of ``purpose``'s counter-based draws (:func:`bits_of`)."""
        return self._keys[purpose]

    def uniform(self, purpose: str, counter: int | np.ndarray,
                rows: np.ndarray) -> np.ndarray:
        """One uniform number in [0, 1) per row (53-bit resolution)."""
        return uniform_of(self.bits(purpose, counter, rows))

    def uniform_pair(self, purpose: str, counter: int | np.ndarray,
                     rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two independent uniform numbers in [0, 1) per row (32-bit resolution each),
        from one hash: for two purposes that always go together."""
        return uniform_pair(self.bits(purpose, counter, rows))

    def normal_pair(self, purpose: str, counter: int | np.ndarray,
                    rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two independent standard normal numbers per row (Box-Muller on one hash)."""
        return normal_pair(self.bits(purpose, counter, rows))

    def normal(self, purpose: str, counter: int | np.ndarray,
               rows: np.ndarray) -> np.ndarray:
        """One standard normal number per row (Box-Muller on one hash)."""
        return normal(self.bits(purpose, counter, rows))

    def geometric(self, purpose: str, counter: int | np.ndarray, rows: np.ndarray,
                  p: float) -> np.ndarray:
        """A geometric number on {1, 2, ...} with success probability ``p`` per row
        (inversion: the first day a daily chance ``p`` comes true)."""
        return geometric(self.bits(purpose, counter, rows), p)

    # ------------------------------------------------------------------ generators

    def generator(self, purpose: str, *counter: int) -> np.random.Generator:
        """A numpy Generator for ``purpose`` (and ``counter``, e.g. the day): for draws that
        are not one per entity (the initial network, ties added on a day)."""
        child = self._children[purpose]
        sequence = np.random.SeedSequence(child.entropy,
                                          spawn_key=child.spawn_key + tuple(counter))
        return np.random.Generator(np.random.PCG64(sequence))

    def poisson(self, purpose: str, counter: int, mean: float) -> int:
        """A Poisson number with ``mean``, by inversion of one uniform number: runs with
        slightly different means draw nearby counts (their draws are coupled)."""
        return poisson_inverse(mean, self.uniform_scalar(purpose, counter))

    def uniform_scalar(self, purpose: str, counter: int, row: int = 0) -> float:
        """``uniform(purpose, counter, [row])[0]`` in plain Python (no array overhead)."""
        z = (((int(counter) << 32) | int(row)) * _GAMMA_INT + int(self._keys[purpose])) & _MASK64
        z = ((z ^ (z >> 30)) * _MIX1_INT) & _MASK64
        z = ((z ^ (z >> 27)) * _MIX2_INT) & _MASK64
        return ((z ^ (z >> 31)) >> 11) * _2_POW_53


def bits_of(key: np.uint64, counter: int, row: int) -> np.uint64:
    """:meth:`RandomStreams.bits` of one row, with the purpose's ``key``
    (:meth:`RandomStreams.key`): for compiled code, which draws one row at a time."""
    return _mix((np.uint64(counter) << np.uint64(32) | np.uint64(row)) * _GAMMA + key)


def uniform_of(bits: np.ndarray | np.uint64) -> np.ndarray | float:
    """A uniform number in [0, 1) (53-bit resolution) from each 64-bit hash."""
    return (bits >> np.uint64(11)) * _2_POW_53


def geometric_of(bits: np.uint64, p: float) -> int:
    """:func:`geometric` of one 64-bit hash (``p`` below 1), for compiled code."""
    u = np.float64(bits >> np.uint64(11))
    u += 0.5
    u *= _2_POW_53
    return np.int64(np.floor(np.log(u) / math.log1p(-p)) + 1.0)


def uniform_pair(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two uniform numbers in [0, 1) (32-bit resolution each) from each 64-bit hash."""
    return (bits >> np.uint64(32)) * _2_POW_32, (bits & _LOW32) * _2_POW_32


def normal_pair(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two independent standard normal numbers from each 64-bit hash (Box-Muller)."""
    radius = np.sqrt(-2.0 * np.log(((bits >> np.uint64(32)) + 0.5) * _2_POW_32))
    angle = (2.0 * math.pi * _2_POW_32) * (bits & _LOW32)
    return radius * np.cos(angle), radius * np.sin(angle)


def geometric(bits: np.ndarray, p: float) -> np.ndarray:
    """A geometric number on {1, 2, ...} with success probability ``p`` from each 64-bit
    hash (inversion: the first day a daily chance ``p`` comes true)."""
    if p >= 1.0:
        return np.ones(bits.shape, dtype=np.int64)
    u = (bits >> np.uint64(11)).astype(np.float64)  # below 2**53: exact
    u += 0.5
    u *= _2_POW_53
    u = np.log(u)
    u /= math.log1p(-p)
    return (np.floor(u) + 1.0).astype(np.int64)


def normal(bits: np.ndarray) -> np.ndarray:
    """One standard normal number from each 64-bit hash (Box-Muller)."""
    radius = np.sqrt(-2.0 * np.log(((bits >> np.uint64(32)) + 0.5) * _2_POW_32))
    return radius * np.cos((2.0 * math.pi * _2_POW_32) * (bits & _LOW32))


def poisson_inverse(mean: float, u: float) -> int:
    """The smallest k with P(Poisson(mean) <= k) > u (the inverse distribution function)."""
    if mean <= 0.0:
        return 0
    if mean < 500.0:  # term by term (exp(-mean) stays a normal float)
        k, term = 0, math.exp(-mean)
        total = term
        while total <= u and term > 0.0:
            k += 1
            term *= mean / k
            total += term
        return k
    top = int(mean + 12.0 * math.sqrt(mean) + 20.0)
    k = np.arange(top + 1)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, top + 1)))])
    cdf = np.cumsum(np.exp(k * math.log(mean) - mean - log_factorial))
    return int(min(np.searchsorted(cdf, u, side="right"), top))
