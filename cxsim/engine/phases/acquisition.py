"""Phase: acquisition. Marketing and word of mouth win prospects, who become active
customers today."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxsim.core import dynamics as dyn
from cxsim.core.enums import ContactOutcome, CustomerStatus
from cxsim.engine.phases.customers import count_advocates, return_to_market

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel

ACTIVE = CustomerStatus.ACTIVE
NO_PROBLEM = ContactOutcome.NO_PROBLEM


def acquire_customers(model: CXModel) -> None:
    """Churned customers' places return to the market; marketing and word of mouth win
    prospects (fewer as the organisation's share of its market grows); they become
    active today and meet the acquisition touchpoints (awareness, purchase...) on
    consecutive days, starting today."""
    p = model.params
    return_to_market(model)
    expected = dyn.expected_acquisitions(
        p.acquisition_rate, p.n_customers, model.promoters, model.detractors, p.referral_rate,
        p.deterrence_rate, p.social_amplification,
        model.n_customer_rows - model.active_customers, model.prospect_pool)
    k = min(model.streams.poisson("acquisition", model.day, expected), model.prospects_left)
    model.today["acquisitions"] = k
    if k == 0:
        return
    rows = model.prospect_stack[model.prospects_left - k:model.prospects_left]
    model.prospects_left -= k
    model.c_status[rows] = ACTIVE
    model.c_start_day[rows] = model.day
    model.c_renewal_day[rows] = model.day + p.contract_days
    model.active_customers += k
    model.outcome_customers[NO_PROBLEM] += k
    count_advocates(model, rows, +1)
    model.c_acquisition_step[rows] = 0
    model.c_next_contact[rows] = model.day
