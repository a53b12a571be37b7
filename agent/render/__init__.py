"""Rendering of tool results for people (rich) and scripts (JSON); no computing here."""
