"""Train the intent model on the generated corpus and write agent/intent/intent_weights.npz.

Run: python -m shopagent.intent.train [--seed 0] [--epochs 300]
Deterministic: the corpus is a pure function of the seed, training is full-batch gradient descent (Adam) from
zero weights, so the same seed writes the same weights.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from shopagent.intent.corpus import corpus
from shopagent.intent.features import BUCKETS, feature_ids

OUT = Path(__file__).with_name("intent_weights.npz")


def train(seed: int = 0, epochs: int = 300, l2: float = 1e-4, rate: float = 0.05):  # noqa: ANN201
    """(intents, weights, bias, training accuracy) fitted to corpus(seed)."""
    import numpy as np

    rows = corpus(seed)
    intents = sorted({intent for _, intent, _ in rows})
    labels = np.array([intents.index(intent) for _, intent, _ in rows])
    ids = [feature_ids(text) for text, _, _ in rows]
    lengths = np.array([len(found) for found in ids])
    columns = np.concatenate([np.array(found, dtype=np.int64) for found in ids])
    owner = np.repeat(np.arange(len(rows)), lengths)
    scale = np.repeat(1 / np.sqrt(np.maximum(lengths, 1)), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    truth = np.zeros((len(rows), len(intents)))
    truth[np.arange(len(rows)), labels] = 1
    weights, bias = np.zeros((BUCKETS, len(intents))), np.zeros(len(intents))
    moments = [np.zeros_like(weights), np.zeros_like(weights), np.zeros_like(bias), np.zeros_like(bias)]
    for step in range(1, epochs + 1):
        logits = np.add.reduceat(weights[columns] * scale[:, None], starts, axis=0) + bias
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        error = (exp / exp.sum(axis=1, keepdims=True) - truth) / len(rows)
        grad_w = np.stack([np.bincount(columns, weights=scale * error[owner, c], minlength=BUCKETS)
                           for c in range(len(intents))], axis=1) + l2 * weights
        grad_b = error.sum(axis=0)
        for value, grad, first, second in ((weights, grad_w, 0, 1), (bias, grad_b, 2, 3)):
            moments[first] = 0.9 * moments[first] + 0.1 * grad
            moments[second] = 0.999 * moments[second] + 0.001 * grad * grad
            corrected = np.sqrt(moments[second] / (1 - 0.999 ** step)) + 1e-8
            value -= rate * (moments[first] / (1 - 0.9 ** step)) / corrected
    accuracy = float((logits.argmax(axis=1) == labels).mean())
    return intents, weights, bias, accuracy, len(rows)


def main() -> None:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--out", type=Path, default=OUT)
    options = parser.parse_args()
    intents, weights, bias, accuracy, size = train(options.seed, options.epochs)
    np.savez_compressed(options.out, intents=np.array(intents), weights=weights.astype(np.float16),
                        bias=bias.astype(np.float32))
    print(f"{size} questions, {len(intents)} intents, training accuracy {accuracy:.3f}, wrote {options.out} "
          f"({options.out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
