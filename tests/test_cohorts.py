"""Outcome cohorts followed forward: the vectorised count against a plain loop (fuzzed),
a worked example, the invariants on engine and reference runs, the customer view's last
contact outcome, and the warm-up fork."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cxsim.engine.metrics import COHORT_HORIZON_DAYS, CONTACT_OUTCOMES, follow_cohorts
from cxsim.engine.model import CXModel
from cxsim.reference import ReferenceModel
from cxsim.results import Result

SIZE = dict(n_employees=60, n_customers=1500, burn_in_days=15, days=130)


def loop_cohorts(contacts, churns, first_day, last_day, horizon):
    """The definition, one contact at a time."""
    left = dict((key, day) for day, key in churns)
    out = {name: [0, 0] for name in CONTACT_OUTCOMES}
    for day, key, code in contacts:
        if day < first_day or day + horizon - 1 > last_day:
            continue
        out[CONTACT_OUTCOMES[code]][0] += 1
        if key in left and day <= left[key] < day + horizon:
            out[CONTACT_OUTCOMES[code]][1] += 1
    return {k: tuple(v) for k, v in out.items()}


def vectorised(contacts, churns, first_day, last_day, horizon):
    def col(rows, i):
        return np.array([r[i] for r in rows], dtype=np.int64)

    return follow_cohorts(col(contacts, 0), col(contacts, 1), col(contacts, 2),
                          col(churns, 0), col(churns, 1), first_day, last_day, horizon)


def test_a_worked_example():
    # customer 7: resolved at first contact on day 10, churns on day 30 (within 90 days);
    # customer 8: unresolved on day 10, churns the same day (counted: day d itself);
    # customer 9: open on day 10, churns on day 100 (day 10 + 90: outside the horizon);
    # customer 7 again on day 50: resolved_repeat, churned 20 days before? No: the churn
    # on day 30 precedes it, so it does not count for that contact.
    contacts = [(10, 7, 1), (10, 8, 4), (10, 9, 3), (50, 7, 2), (5, 7, 0), (150, 9, 0)]
    churns = [(30, 7), (10, 8), (100, 9)]
    got = vectorised(contacts, churns, first_day=8, last_day=200, horizon=90)
    assert got["resolved_first"] == (1, 1)
    assert got["unresolved"] == (1, 1)
    assert got["open"] == (1, 0)
    assert got["resolved_repeat"] == (1, 0)
    assert got["no_problem"] == (0, 0)  # day 5 before first_day; day 150 not followed to 239


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 12), st.integers(0, 4)),
                max_size=60),
       st.dictionaries(st.integers(0, 12), st.integers(0, 60), max_size=12),
       st.integers(0, 30), st.integers(0, 70), st.integers(1, 40))
def test_vectorised_cohorts_equal_the_loop(contacts, churn_days, first_day, last_day, horizon):
    churns = [(day, key) for key, day in churn_days.items()]
    assert vectorised(contacts, churns, first_day, last_day, horizon) == \
        loop_cohorts(contacts, churns, first_day, last_day, horizon)


def _check_invariants(result: Result, model) -> None:
    daily = result.daily
    last_day = int(daily["day"].iloc[-1])
    eligible = daily[(daily["day"] >= result.burn_in)
                     & (daily["day"] + COHORT_HORIZON_DAYS - 1 <= last_day)]
    summary = result.summary()
    followed = sum(summary[f"cohort_contacts_{o}"] for o in CONTACT_OUTCOMES)
    assert followed == int(eligible["contacts"].sum()) > 0
    # every churn happens at a contact, so each churn of an eligible day is in a cohort
    lost = sum(result.cohorts[o][1] for o in CONTACT_OUTCOMES)
    assert lost >= int(eligible["churned"].sum())
    for o in CONTACT_OUTCOMES:
        share = summary[f"churn_{COHORT_HORIZON_DAYS}d_after_{o}"]
        assert math.isnan(share) or 0.0 <= share <= 1.0


def test_engine_cohorts_count_every_followed_contact_once():
    model = CXModel(rng=4, **SIZE)
    model.run()
    _check_invariants(Result(model, 4), model)


def test_reference_cohorts_count_every_followed_contact_once():
    model = ReferenceModel(rng=4, **SIZE)
    model.run()
    _check_invariants(Result(model, 4), model)


def test_the_customer_view_shows_the_last_contact_outcome():
    model = CXModel(rng=5, **SIZE)
    model.run()
    outcomes = [model.customer(row).last_contact_outcome for row in range(300)]
    assert set(outcomes) - {None} <= set(CONTACT_OUTCOMES)
    assert any(o is not None for o in outcomes)
    prospect = int(np.flatnonzero(model.c_status == 0)[0])
    assert model.customer(prospect).last_contact_outcome is None
    # an open problem after the last contact: that contact left it open or revealed it
    open_rows = np.flatnonzero(model.c_problem_open)[:50]
    assert {model.customer(int(r)).last_contact_outcome for r in open_rows} <= \
        {"open", "no_problem"}
    assert "last contact" in repr(model.customer(0))


def test_a_forked_run_has_the_same_cohorts_as_a_run_from_scratch():
    iv = [{"type": "training", "start": 0}]
    scratch = CXModel(rng=6, interventions=iv, **SIZE)
    scratch.run()
    forked = CXModel(rng=6, **SIZE).run_warm_up().fork(iv)
    forked.run()
    assert Result(scratch, 6).cohorts == Result(forked, 6).cohorts
