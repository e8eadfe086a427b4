"""Model core: parameters, structure, pure dynamics, organisation builders and enums.

No Mesa and no pandas here: plain numpy functions and declarations that the engine,
the reference model and the experiments all build on.
"""
