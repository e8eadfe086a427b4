"""Experiments: scenarios, run specs, comparisons (and later sweeps, validation, calibration)."""
