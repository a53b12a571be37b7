"""Seeded simulator of a Tmall-style apparel/beauty shop that writes DATA_CONTRACT files.

Names are imported lazily so `import shopagent.sample_shop` does not pull in numpy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import ShopTruth, TruthEvent
    from .simulator import generate_shop
    from .truth import TrueModel, load_truth

__all__ = ["ShopTruth", "TrueModel", "TruthEvent", "generate_shop", "load_truth"]

_HOMES = {
    "ShopTruth": ".models",
    "TruthEvent": ".models",
    "generate_shop": ".simulator",
    "TrueModel": ".truth",
    "load_truth": ".truth",
}


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name], __name__), name)
