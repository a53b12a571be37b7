"""Data store, analytics, planners and compliance: no printing, no model."""
