"""Phase: voice of the customer. Pain points that reached the department causing them
lead to root-cause fixes there (defect rates fall)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.engine.compiled import jit

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel


def voice_of_customer(model: CXModel) -> None:
    """New defects arise as things change (defect rates return toward their natural
    rates); pain points that reached their cause lead to root-cause fixes (they fall)."""
    p = model.params
    model.defect_rate = renew_and_fix(
        model.defect_rate, p.defect_rate * model.tp_defect_multiplier,
        p.defect_floor * model.tp_defect_multiplier, p.defect_renewal_days,
        model.recorder.pain_received_today, model.tp_owner, model.department, model.active,
        model.centricity, model.n_departments, max(p.n_customers, 1), p.root_cause_fix_rate)


@jit
def renew_and_fix(defect_rate, natural, floor, renewal_days, received, owner, department,
                  active, centricity, n_departments, n_customers, fix_rate):
    """Each touchpoint's defect rate after a day (compiled): renewed toward its
    ``natural`` rate, then, if pain points were ``received`` today, lowered toward its
    ``floor`` by root-cause fixes, faster the more pain points per thousand customers
    reached the owning department and the more customer-centric its filled positions."""
    rate = dyn.defect_renewal(defect_rate, natural, renewal_days)
    if not received.any():
        return rate
    centric_sum = np.zeros(n_departments)
    staff = np.zeros(n_departments, dtype=np.int64)
    for i in range(active.size):
        if active[i]:
            centric_sum[department[i]] += centricity[i]
            staff[department[i]] += 1
    centric = centric_sum / np.maximum(staff, 1)
    per_thousand = received * 1000.0 / n_customers
    return dyn.root_cause_fix(rate, floor, per_thousand, centric[owner], fix_rate)
