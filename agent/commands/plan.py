"""`shopagent plan ...`: the planners (promotion, pricing, assortment); each lives in its own module."""

from __future__ import annotations

import typer

plan_app = typer.Typer(no_args_is_help=True, help="Propose budgets, prices and assortment changes (no model needed).")
