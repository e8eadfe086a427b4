"""Customer bookkeeping shared by the acquisition and service phases: counts of
promoters and detractors, outcomes of problems, churn. The model keeps these counts
incrementally instead of recounting its customers every day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core.enums import ContactOutcome, CustomerStatus
from cxsim.engine.compiled import jit

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel

#: A day that never comes (no contact scheduled, no renewal due, never trained).
NEVER = np.iinfo(np.int32).max
CHURNED, PROSPECT = CustomerStatus.CHURNED, CustomerStatus.PROSPECT
PROSPECT_CODE, NO_PROBLEM_CODE = int(PROSPECT), int(ContactOutcome.NO_PROBLEM)


def left_market(model: CXModel, customers: np.ndarray) -> None:
    """The model's counts after ``customers`` churned (their own state, the counts of
    promoters, detractors and outcomes, and churn by outcome were updated as they left:
    see :func:`~cxsim.engine.phases.service.serve_contacts`): active customers, today's
    churn, and their return to the market ``market_return_days`` later."""
    if customers.size == 0:
        return
    model.active_customers -= customers.size
    model.today["churned"] += customers.size
    model._returning.setdefault(model.day + model.params.market_return_days, []).append(
        customers.copy())


def return_to_market(model: CXModel) -> None:
    """Customers who churned ``market_return_days`` ago leave room in the market for new
    prospects: their rows become prospects again, starting from their initial state."""
    returning = model._returning.pop(model.day, None)
    if not returning:
        return
    model.prospects_left = reset_rows(
        np.concatenate(returning), model.prospects_left, model.prospect_stack,
        float(dyn.logistic(model.params.satisfaction_offset)), model.c_status,
        model.c_mean_affect, model.c_peak_affect, model.c_end_affect, model.c_satisfaction,
        model.c_loyalty, model.c_loyalty0, model.c_expectation, model.c_expectation0,
        model.c_last_outcome, model.c_last_contact_outcome, model.c_renewal_day)


@jit
def reset_rows(rows, prospects_left, prospect_stack, satisfaction, c_status, c_mean_affect,
               c_peak_affect, c_end_affect, c_satisfaction, c_loyalty, c_loyalty0,
               c_expectation, c_expectation0, c_last_outcome, c_last_contact_outcome,
               c_renewal_day):
    """``rows`` become prospects again, in their initial state, pushed on the prospect
    stack (compiled); returns the new number of prospects left."""
    for i in range(rows.size):
        row = rows[i]
        c_status[row] = PROSPECT_CODE
        c_mean_affect[row] = 0.0
        c_peak_affect[row] = 0.0
        c_end_affect[row] = 0.0
        c_satisfaction[row] = satisfaction
        c_loyalty[row] = c_loyalty0[row]
        c_expectation[row] = c_expectation0[row]
        c_last_outcome[row] = NO_PROBLEM_CODE
        c_last_contact_outcome[row] = -1
        c_renewal_day[row] = NEVER
        prospect_stack[prospects_left + i] = row
    return prospects_left + rows.size
