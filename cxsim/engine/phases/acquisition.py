"""Phase: acquisition. Marketing and word of mouth win prospects, who become active
customers today."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxsim.core import dynamics as dyn
from cxsim.core.enums import ContactOutcome, CustomerStatus
from cxsim.engine.compiled import jit
from cxsim.engine.phases.customers import return_to_market

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel

ACTIVE_CODE = int(CustomerStatus.ACTIVE)
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
    model.active_customers += k
    model.outcome_customers[NO_PROBLEM] += k
    promoters, detractors = activate(rows, model.day, p.contract_days, model.c_status,
                                     model.c_start_day, model.c_renewal_day,
                                     model.c_acquisition_step, model.c_next_contact,
                                     model.c_satisfaction)
    model.promoters += promoters
    model.detractors += detractors


@jit
def activate(rows, day, contract_days, c_status, c_start_day, c_renewal_day,
             c_acquisition_step, c_next_contact, c_satisfaction):
    """Prospects ``rows`` become customers today, due at their first acquisition
    touchpoint today (compiled); returns how many of them are promoters and detractors."""
    promoters = detractors = 0
    for row in rows:
        c_status[row] = ACTIVE_CODE
        c_start_day[row] = day
        c_renewal_day[row] = day + contract_days
        c_acquisition_step[row] = 0
        c_next_contact[row] = day
        promoters += c_satisfaction[row] >= dyn.PROMOTER_SATISFACTION
        detractors += c_satisfaction[row] < dyn.DETRACTOR_SATISFACTION
    return promoters, detractors
