"""Prompt and narration templates, shipped as package data and loaded by name."""

from importlib import resources


def load_prompt(name: str) -> str:
    """Return the text of the prompt file `name` (e.g. "narrate_diagnose.md")."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
