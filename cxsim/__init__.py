"""cxsim: agent-based simulation of organisational customer-experience culture."""

from cxsim.interventions import INTERVENTIONS, Intervention
from cxsim.model import CXModel
from cxsim.parameters import PARAMETERS, Config, ParameterError
from cxsim.structure import Structure

__all__ = ["CXModel", "Config", "INTERVENTIONS", "Intervention", "PARAMETERS",
           "ParameterError", "Structure"]
__version__ = "0.1.0"
