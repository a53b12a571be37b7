"""The intent model: multinomial logistic regression over hashed n-grams, weights shipped as package data
(intent_weights.npz, written by `python -m shopagent.intent.train`), its logits divided by the temperature
fitted on held-back templates, so a probability is calibrated. Reading a question costs microseconds."""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict

from shopagent.intent.features import feature_ids

WEIGHTS = "intent_weights.npz"


class Reading(BaseModel):
    """The model's reading of a question: intents with their probability, most likely first."""

    model_config = ConfigDict(frozen=True)

    ranked: list[tuple[str, float]]

    @property
    def intent(self) -> str:
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1]

    def probability(self, intent: str) -> float:
        return dict(self.ranked).get(intent, 0.0)


@cache
def _weights():  # noqa: ANN202 - numpy arrays, imported lazily
    import numpy as np

    with resources.files("shopagent.intent").joinpath(WEIGHTS).open("rb") as handle:
        stored = np.load(handle)
        scale = float(stored["temperature"]) if "temperature" in stored.files else 1.0
        sure = float(stored["confident"]) if "confident" in stored.files else 0.5
        return ([str(name) for name in stored["intents"]], stored["weights"].astype(np.float64), stored["bias"],
                scale, sure)


def confident() -> float:
    """The probability from which the model's reading alone decides (fitted with the temperature)."""
    return _weights()[4]


def read(text: str) -> Reading:
    """Probabilities of every intent for `text`."""
    import numpy as np

    intents, weights, bias, scale, _ = _weights()
    ids = feature_ids(text)
    logits = (bias + (weights[ids].sum(axis=0) / np.sqrt(max(len(ids), 1)) if ids else 0.0)) / scale
    exp = np.exp(logits - logits.max())
    probabilities = exp / exp.sum()
    order = sorted(range(len(intents)), key=lambda at: (-probabilities[at], intents[at]))
    return Reading(ranked=[(intents[at], round(float(probabilities[at]), 6)) for at in order])
