"""The compiled phases (cxsim.engine.compiled) compute what numpy computes, to the bit.

Whole runs are checked against the numpy engine by ``benchmarks/bit_identity.py``; here
the building blocks are: the dynamics called on one value at a time in compiled code
against the same functions on numpy arrays, the scalar draws against the vectorised
streams, numpy's summation, the cache key, and the customer table's layout.
"""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cxsim.core import dynamics as dyn
from cxsim.core.streams import (
    RandomStreams,
    bits_of,
    geometric,
    geometric_of,
    normal,
    normal_pair,
    uniform_of,
    uniform_pair,
)
from cxsim.engine import compiled
from cxsim.engine.compiled import numpy_sum
from cxsim.engine.model import CUSTOMER_TABLE, CXModel

unit = st.floats(0.0, 1.0)
signed = st.floats(-1.0, 1.0)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@numba.njit
def _one_at_a_time(skill, engagement, centricity, authority, guidelines, loss, noise,
                   problem, resolved, abandoned, revealed, contacts, wait, expectation,
                   mean_affect, peak_affect, loyalty):
    """The service kernel's chain of dynamics, one contact at a time."""
    n = skill.size
    out = np.empty((9, n))
    for i in range(n):
        quality = dyn.interaction_quality(skill[i], engagement[i], centricity[i],
                                          authority[i], 0.3, guidelines[i], loss[i],
                                          noise[i], 0.1, 0.6)
        out[0, i] = quality
        out[1, i] = dyn.resolution_probability(skill[i], authority[i], 0.3, problem[i],
                                               loss[i], centricity[i])
        experience = dyn.waited_experience(dyn.contact_experience(
            quality, problem[i], resolved[i], contacts[i], abandoned[i], revealed[i]),
            wait[i], 0.05)
        out[2, i] = experience
        affect = dyn.disconfirmation_affect(experience, expectation[i], 2.0)
        out[3, i] = affect
        mean, peak = dyn.remember(mean_affect[i], peak_affect[i], affect, 0.3, 0.97)
        out[4, i], out[5, i] = mean, peak
        satisfaction = dyn.judged_satisfaction(mean, peak, affect, 0.3, 0.3, 4.0, 0.2)
        out[6, i] = satisfaction
        out[7, i] = dyn.contact_churn_probability(satisfaction, 0.01, 4.0)
        out[8, i] = dyn.renewal_probability(dyn.drift(loyalty[i], satisfaction, 0.1),
                                            0.45, 8.0)
    return out


@given(st.integers(0, 60).flatmap(lambda n: st.tuples(*(
    [arrays(float, n, elements=unit)] * 6 + [arrays(float, n, elements=finite)]
    + [arrays(bool, n)] * 4 + [arrays(np.int64, n, elements=st.integers(0, 6))]
    + [arrays(float, n, elements=st.floats(0.0, 5.0))] + [arrays(float, n, elements=unit)]
    + [arrays(float, n, elements=signed)] * 2 + [arrays(float, n, elements=unit)]))))
def test_dynamics_one_value_at_a_time_equal_numpy_on_arrays(inputs):
    (skill, engagement, centricity, authority, guidelines, loss, noise, problem, resolved,
     abandoned, revealed, contacts, wait, expectation, mean_affect, peak_affect,
     loyalty) = inputs
    compiled_out = _one_at_a_time(*inputs)
    quality = dyn.interaction_quality(skill, engagement, centricity, authority, 0.3,
                                      guidelines, loss, noise, 0.1, 0.6)
    experience = dyn.waited_experience(dyn.contact_experience(
        quality, problem, resolved, contacts, abandoned, revealed), wait, 0.05)
    affect = dyn.disconfirmation_affect(experience, expectation, 2.0)
    mean, peak = dyn.remember(mean_affect, peak_affect, affect, 0.3, 0.97)
    satisfaction = dyn.judged_satisfaction(mean, peak, affect, 0.3, 0.3, 4.0, 0.2)
    expected = [quality, dyn.resolution_probability(skill, authority, 0.3, problem, loss,
                                                    centricity),
                experience, affect, mean, peak, satisfaction,
                dyn.contact_churn_probability(satisfaction, 0.01, 4.0),
                dyn.renewal_probability(dyn.drift(loyalty, satisfaction, 0.1), 0.45, 8.0)]
    for row, values in zip(compiled_out, expected):
        assert np.array_equal(row, values, equal_nan=True)


@numba.njit
def _workforce_one_at_a_time(skill, load, demand, resources, strain, utilisation):
    n = skill.size
    out = np.empty((5, n))
    for i in range(n):
        out[0, i] = dyn.learning_curve(dyn.skill_decay(skill[i], 0.002, 0.2), load[i], 0.01)
        out[1, i] = dyn.job_demand(load[i], 3.0, utilisation[i])
        out[2, i] = dyn.strain_update(strain[i], demand[i], resources[i], 0.1, 0.05)
        out[3, i] = dyn.engagement_target(resources[i], strain[i], 0.5, 0.2, 0.4, 0.05,
                                          skill[i] - 0.5)
        out[4, i] = dyn.manager_support(i % 3 == 2, i % 2 == 0, i % 5 == 0)
    return out


@given(st.integers(0, 60).flatmap(lambda n: st.tuples(
    arrays(float, n, elements=unit), arrays(float, n, elements=st.floats(0.0, 8.0)),
    arrays(float, n, elements=st.floats(0.0, 3.0)), arrays(float, n, elements=unit),
    arrays(float, n, elements=unit), arrays(float, n, elements=st.floats(0.0, 20.0)))))
def test_workforce_dynamics_one_value_at_a_time_equal_numpy(inputs):
    skill, load, demand, resources, strain, utilisation = inputs
    out = _workforce_one_at_a_time(*inputs)
    i = np.arange(skill.size)
    expected = [dyn.learning_curve(dyn.skill_decay(skill, 0.002, 0.2), load, 0.01),
                dyn.job_demand(load, 3.0, utilisation),
                dyn.strain_update(strain, demand, resources, 0.1, 0.05),
                dyn.engagement_target(resources, strain, 0.5, 0.2, 0.4, 0.05, skill - 0.5),
                dyn.manager_support(i % 3 == 2, i % 2 == 0, i % 5 == 0)]
    for row, values in zip(out, expected):
        assert np.array_equal(row, values)


@numba.njit
def _utilisation(offered, capacity):
    return dyn.utilisation_today(offered, capacity)


@given(st.integers(1, 30).flatmap(lambda n: st.tuples(
    arrays(float, n, elements=st.floats(0.0, 50.0)),
    arrays(float, n, elements=st.sampled_from([0.0, 0.5, 3.0, 12.0])))))
def test_compiled_division_by_zero_follows_numpy(inputs):
    """Compiled code follows numpy's arithmetic: a group with work and no capacity is at
    the cap, not a ZeroDivisionError."""
    offered, capacity = inputs
    assert np.array_equal(_utilisation(offered, capacity),
                          dyn.utilisation_today(offered, capacity))


@numba.njit
def _draws(key, counter, rows, p):
    n = rows.size
    bits = np.empty(n, dtype=np.uint64)
    out = np.empty((6, n))
    for i in range(n):
        bits[i] = bits_of(key, counter, rows[i])
        out[0, i] = uniform_of(bits[i])
        out[1, i], out[2, i] = uniform_pair(bits[i])
        out[3, i] = normal(bits[i])
        out[4, i], out[5, i] = normal_pair(bits[i])
    geometric_draws = np.empty(n, dtype=np.int64)
    for i in range(n):
        geometric_draws[i] = geometric_of(bits[i], p)
    return bits, out, geometric_draws


@given(st.integers(0, 2**40), st.sampled_from(["route", "quits", "contact_calendar"]),
       st.integers(0, 2**31 - 1), st.lists(st.integers(0, 2**32 - 1), max_size=40),
       st.floats(1e-4, 0.99))
def test_scalar_draws_equal_the_streams(seed, purpose, counter, rows, p):
    streams = RandomStreams(seed)
    rows = np.array(rows, dtype=np.int64)
    bits, out, geometric_draws = _draws(streams.key(purpose), counter, rows, p)
    expected = streams.bits(purpose, counter, rows)
    assert np.array_equal(bits, expected)
    assert np.array_equal(out[0], streams.uniform(purpose, counter, rows))
    for row, values in zip(out[1:], (*uniform_pair(expected), normal(expected),
                                     *normal_pair(expected))):
        assert np.array_equal(row, values)
    assert np.array_equal(geometric_draws, geometric(expected, p))


@given(arrays(float, st.integers(0, 3000), elements=st.floats(-1e12, 1e12)))
def test_numpy_sum_is_numpys_sum_to_the_bit(values):
    assert numpy_sum(values) == values.sum()


def test_numpy_sum_large_and_strided():
    rng = np.random.default_rng(5)
    for n in (8191, 8192, 8193, 70_001):
        values = rng.normal(size=n) * 10.0 ** rng.uniform(-6, 6, n)
        assert numpy_sum(values) == values.sum()
    table = np.zeros(1000, dtype=[("a", float), ("b", np.int64)])
    table["a"] = rng.normal(size=1000)
    assert numpy_sum(table["a"]) == table["a"].sum()


def test_the_cache_key_covers_every_core_and_engine_source():
    """A compiled function is cached under a key that changes with any source it may
    call: numba's own key covers only the function's file."""
    names = {Path(p).name for p in compiled.SOURCES}
    for module in ("dynamics.py", "streams.py", "service.py", "workforce.py", "metrics.py",
                   "interventions.py", "model.py", "compiled.py"):
        assert module in names
    assert all(Path(p).suffix == ".py" for p in compiled.SOURCES)


def test_customer_arrays_are_one_table_and_a_fork_keeps_its_own():
    model = CXModel(n_employees=40, n_customers=300, burn_in_days=5, days=10, rng=2)
    model.run_warm_up()
    for name in CUSTOMER_TABLE:
        assert np.shares_memory(getattr(model, "c_" + name), model._customer_table)
    child = model.fork()
    for name in CUSTOMER_TABLE:
        array = getattr(child, "c_" + name)
        assert np.shares_memory(array, child._customer_table)
        assert not np.shares_memory(array, model._customer_table)
        assert np.array_equal(array, getattr(model, "c_" + name))
    before = model.c_satisfaction.copy()
    child.run()
    assert np.array_equal(model.c_satisfaction, before)  # the parent is untouched
    assert not np.array_equal(child.c_satisfaction, before)
