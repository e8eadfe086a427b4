"""Customer bookkeeping shared by the acquisition and service phases: counts of
promoters and detractors, outcomes of problems, churn. The model keeps these counts
incrementally instead of recounting its customers every day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core.enums import ContactOutcome, CustomerStatus

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel

#: A day that never comes (no contact scheduled, no renewal due, never trained).
NEVER = np.iinfo(np.int32).max
CHURNED, PROSPECT = CustomerStatus.CHURNED, CustomerStatus.PROSPECT


def count_advocates(model: CXModel, customers: np.ndarray, sign: int) -> None:
    sat = model.c_satisfaction[customers]
    model.promoters += sign * np.count_nonzero(sat >= dyn.PROMOTER_SATISFACTION)
    model.detractors += sign * np.count_nonzero(sat < dyn.DETRACTOR_SATISFACTION)


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
    rows = np.concatenate(returning)
    model.c_status[rows] = PROSPECT
    model.c_mean_affect[rows] = 0.0
    model.c_peak_affect[rows] = 0.0
    model.c_end_affect[rows] = 0.0
    model.c_satisfaction[rows] = float(dyn.logistic(model.params.satisfaction_offset))
    model.c_loyalty[rows] = model.c_loyalty0[rows]
    model.c_expectation[rows] = model.c_expectation0[rows]
    model.c_last_outcome[rows] = ContactOutcome.NO_PROBLEM
    model.c_last_contact_outcome[rows] = -1
    model.c_renewal_day[rows] = NEVER
    model.prospect_stack[model.prospects_left:model.prospects_left + rows.size] = rows
    model.prospects_left += rows.size
