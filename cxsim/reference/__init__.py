"""A readable per-agent reference implementation of the cxsim model, for docking.

:class:`ReferenceModel` is the same model as :class:`cxsim.engine.model.CXModel` written the
idiomatic Mesa way: every employee and customer is a :class:`mesa.Agent` with its own
``step``. It takes the same parameters and scenario inputs and reports the same
metrics; ``tests/test_docking.py`` shows the two agree in distribution and
``benchmarks/docking_speed.py`` times them. See ``docs/docking.md``.

>>> from cxsim.reference import run_reference
>>> result = run_reference(seed=1, n_employees=60, n_customers=1500, days=30)  # doctest: +SKIP
"""

from cxsim.reference.agents import CustomerAgent, EmployeeAgent
from cxsim.reference.model import ReferenceModel, run_reference

__all__ = ["CustomerAgent", "EmployeeAgent", "ReferenceModel", "run_reference"]
