"""Interfaces: the command line and plots (and later the report and the dashboard)."""
