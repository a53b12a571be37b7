"""Train the intent model on the generated corpus and write agent/intent/intent_weights.npz.

Run: python -m shopagent.intent.train [--seed 0] [--epochs 300]
Deterministic: the corpus is a pure function of the seed, training is full-batch gradient descent (Adam) from
zero weights, so the same seed writes the same weights.

Calibration: one template in five (every fifth, in the corpus's order) is held back, a model is fitted to the
rest, and a temperature T (logits / T) is chosen to minimise the log loss on the held-back templates' questions:
questions worded unlike any it was trained on, as a merchant's are. The same questions choose the confidence from
which the model's reading alone decides (the least at which such readings are right 95% of the time). The shipped
model is then fitted to the whole corpus and keeps that T and that cut, so its probabilities say how often such a
reading is right, and "not sure" means so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from shopagent.intent.corpus import corpus, corpus_by_template
from shopagent.intent.features import BUCKETS, feature_ids

OUT = Path(__file__).with_name("intent_weights.npz")


def train(seed: int = 0, epochs: int = 300, l2: float = 1e-4, rate: float = 0.05,  # noqa: ANN201
          rows: list[tuple[str, str, str]] | None = None, intents: list[str] | None = None):
    """(intents, weights, bias, training accuracy, rows) fitted to `rows` (default corpus(seed))."""
    import numpy as np

    rows = corpus(seed) if rows is None else rows
    intents = intents or sorted({intent for _, intent, _ in rows})
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


TEMPERATURES = [round(0.2 * 1.1 ** step, 4) for step in range(40)]  # 0.2 .. 8.1, a fixed grid: deterministic


def logits_of(texts: list[str], weights, bias):  # noqa: ANN001, ANN201 - numpy arrays
    """The model's logits for each text, exactly as shopagent.intent.model.read computes them."""
    import numpy as np

    out = []
    for text in texts:
        ids = feature_ids(text)
        out.append(bias + (weights[ids].sum(axis=0) / np.sqrt(max(len(ids), 1)) if ids else 0.0))
    return np.array(out)


PRECISION = 0.95  # a reading the model is "sure" of is right 19 times in 20 on templates it never saw
CUTS = [round(0.3 + 0.05 * step, 2) for step in range(14)]  # 0.3 .. 0.95


def temperature(seed: int = 0, epochs: int = 300) -> tuple[float, float, float, float, float]:
    """(T, log loss at T=1, log loss at T, the confidence cut, accuracy) on the questions of held-back templates,
    from a model fitted without them: the cut is the least calibrated probability at which the readings at or above
    it are right PRECISION of the time."""
    import numpy as np

    grouped = corpus_by_template(seed)
    train_rows = [row for at, rows in enumerate(grouped) if at % 5 for row in rows]
    held_rows = [row for at, rows in enumerate(grouped) if not at % 5 for row in rows]
    intents = sorted({intent for rows in grouped for _, intent, _ in rows})
    _, weights, bias, _, _ = train(seed, epochs, rows=train_rows, intents=intents)
    logits = logits_of([text for text, _, _ in held_rows], weights, bias)
    labels = np.array([intents.index(intent) for _, intent, _ in held_rows])

    def loss(t: float) -> float:
        scaled = logits / t
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        return float(-(scaled[np.arange(len(labels)), labels] - np.log(np.exp(scaled).sum(axis=1))).mean())

    best = min(TEMPERATURES, key=loss)
    scaled = logits / best
    probabilities = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    confidence, right = probabilities.max(axis=1), probabilities.argmax(axis=1) == labels
    # the least confidence at which the held-back readings at or above it are right PRECISION of the time
    sure = next((cut for cut in CUTS if (confidence >= cut).any() and right[confidence >= cut].mean() >= PRECISION),
                CUTS[-1])
    return best, loss(1.0), loss(best), sure, float(right.mean())


def main() -> None:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--out", type=Path, default=OUT)
    options = parser.parse_args()
    scale, before, after, sure, held_accuracy = temperature(options.seed, options.epochs)
    intents, weights, bias, accuracy, size = train(options.seed, options.epochs)
    np.savez_compressed(options.out, intents=np.array(intents), weights=weights.astype(np.float16),
                        bias=bias.astype(np.float32), temperature=np.float32(scale),
                        confident=np.float32(sure))
    print(f"{size} questions, {len(intents)} intents, training accuracy {accuracy:.3f}; temperature {scale:g} "
          f"(held-back templates: accuracy {held_accuracy:.3f}, log loss {before:.3f} at T=1, {after:.3f} at T, "
          f"right {PRECISION:.0%} of the time from p >= {sure:g}); wrote {options.out} "
          f"({options.out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
