"""Phase: voice of the customer. Pain points that reached the department causing them
lead to root-cause fixes there (defect rates fall)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.core import dynamics as dyn

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel


def voice_of_customer(model: CXModel) -> None:
    """New defects arise as things change (defect rates return toward their natural
    rates); pain points that reached their cause lead to root-cause fixes (they fall)."""
    p = model.params
    model.defect_rate = dyn.defect_renewal(model.defect_rate,
                                           p.defect_rate * model.tp_defect_multiplier,
                                           p.defect_renewal_days)
    received = model.recorder.pain_received_today
    if not received.any():
        return
    owner = model.tp_owner
    filled = model.active
    centric = np.bincount(model.department[filled], weights=model.centricity[filled],
                          minlength=model.n_departments) / np.maximum(
        np.bincount(model.department[filled], minlength=model.n_departments), 1)
    per_thousand = received * 1000.0 / max(p.n_customers, 1)
    floor = p.defect_floor * model.tp_defect_multiplier
    model.defect_rate = dyn.root_cause_fix(model.defect_rate, floor, per_thousand,
                                           centric[owner], p.root_cause_fix_rate)
