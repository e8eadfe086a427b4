"""Engine: the Mesa model (``CXModel``) and its phases, agents, interventions and metrics."""
