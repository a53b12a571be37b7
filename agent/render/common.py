"""Shared output helpers: JSON on stdout, errors on stderr, one console each."""

from __future__ import annotations

import sys

from pydantic import BaseModel
from rich.console import Console

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True)


def print_json_model(model: BaseModel) -> None:
    """One JSON document on stdout, UTF-8, nothing else."""
    sys.stdout.write(model.model_dump_json(indent=2) + "\n")


def print_json_data(data: object) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def print_error(error: Exception) -> None:
    stderr.print(f"[bold red]Error:[/] {error}", markup=True, highlight=False)
