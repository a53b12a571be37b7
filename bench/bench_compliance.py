"""Precision, recall and speed of shopagent.tools.compliance on labelled phrases, by family, tuning and held-out apart.

Run: python bench/bench_compliance.py [--verbose] [--heldout-only]

A phrase is a true positive when it is labelled a violation and check_text(text, category=...) returns
ok=False (warnings do not count), exactly as the issue scored it. Two files, never pooled:

  compliance_phrases.tsv   the tuning set: text, label (violation | clean), terms (every issue expected,
                           separated by |), category, set, family. The rules were tuned on every row of it.
                           Term-level figures count a reported issue as found when it overlaps an
                           expected term.
  compliance_heldout.tsv   frozen copy of /work/wt/_heldout/compliance_heldout.tsv (225 rows), written by a
                           helper session that never saw the rules, the checker or the tuning set: text, label
                           (violation | ok), family, category, why. Read only after the rules were frozen;
                           its misses are reported, never tuned to (see the README and the issue 25 note).
                           First sight, rules frozen at commit 0dc98fb: precision 0.984 (121/123), recall
                           0.877 (121/138); misses by family: cosmetics 2, english 4, evasion 2, false_claim 4,
                           health_food 2, medical_nondrug 1, pressure 1, superstition 1; false alarms: a
                           self-comparison within a series (这个系列里价格最低) and a spec (最多可同时连接8台).

History of the tuning set (first-sight figures, before each set was tuned on): dev P 0.984 R 0.955;
holdout-a P 0.864 R 0.826; holdout-b P 0.889 R 0.727; holdout-c (a helper's 80 phrases) P 0.971 R 0.786;
tune-25 was written for issue 25 (superstition, pressure, false claims, NMPA cosmetics terms, health food,
food claims, English, evasions, exemptions) together with the rules, so it is a fit, not a test.
"""

from __future__ import annotations

import csv
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from shopagent.tools.compliance import check_text

TUNING = Path(__file__).with_name("compliance_phrases.tsv")
HELDOUT = Path(__file__).with_name("compliance_heldout.tsv")
REPEATS = 20


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, row: dict, flagged: bool) -> None:
        violation = row["label"] == "violation"
        self.tp += flagged and violation
        self.fp += flagged and not violation
        self.fn += violation and not flagged
        self.tn += not flagged and not violation
        if flagged != violation:
            kind = "FP" if flagged else "FN"
            self.misses.append(f"{kind} [{row['family']}|{row['category'] or '-'}] {row['text']}")


def _load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    for number, row in enumerate(rows, start=2):
        row["label"] = {"ok": "clean"}.get(row["label"], row["label"])
        if row["label"] not in ("violation", "clean"):
            raise SystemExit(f"{path.name} line {number}: label must be violation, clean or ok")
        row["expected"] = [t for t in (row.get("terms") or "").split("|") if t]
        for term in row["expected"]:
            if term not in row["text"]:
                raise SystemExit(f"{path.name} line {number}: term {term!r} is not in the text")
        row["category"] = row.get("category") or None
        row["family"] = row.get("family") or "-"
    return rows


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f} ({part}/{whole})" if whole else "n/a"


def _term_figures(rows: list[dict]) -> str:
    found = expected = reported = matched = 0
    for row in rows:
        if row["label"] == "violation" and not row["expected"]:
            continue  # rows written without their terms count at phrase level only
        issues = check_text(row["text"], category=row["category"]).issues
        spans = [(at, at + len(term)) for term in row["expected"] for at in _all(row["text"], term)]
        for term in row["expected"]:
            expected += 1
            found += any(i.start < at + len(term) and at < i.end for at in _all(row["text"], term) for i in issues)
        reported += len(issues)
        matched += sum(any(i.start < e and s < i.end for s, e in spans) for i in issues)
    return f"term-level precision {_ratio(matched, reported)}, recall {_ratio(found, expected)}"


def _all(text: str, term: str) -> list[int]:
    found, at = [], text.find(term)
    while at != -1:
        found.append(at)
        at = text.find(term, at + 1)
    return found


def _report(title: str, rows: list[dict], verbose: bool) -> Tally:
    total = Tally()
    by_family: dict[str, Tally] = defaultdict(Tally)
    for row in rows:
        flagged = not check_text(row["text"], category=row["category"]).ok
        total.add(row, flagged)
        by_family[row["family"]].add(row, flagged)
    labels = [row["label"] for row in rows]
    print(f"\n{title}: {len(rows)} phrases ({labels.count('violation')} violation, {labels.count('clean')} ok)")
    print(f"  precision {_ratio(total.tp, total.tp + total.fp)}   recall {_ratio(total.tp, total.tp + total.fn)}")
    if any(row["expected"] for row in rows):
        print(f"  {_term_figures(rows)}")
    print("  by family:  violations caught / rows      ok rows passed / rows")
    for family in sorted(by_family):
        tally = by_family[family]
        caught = f"{tally.tp}/{tally.tp + tally.fn}" if tally.tp + tally.fn else ""
        passed = f"{tally.tn}/{tally.tn + tally.fp}" if tally.tn + tally.fp else ""
        print(f"    {family:<16} {caught:>8}   {passed:>8}")
    if total.misses and verbose:
        print(f"  {len(total.misses)} misses:\n" + "\n".join(f"    {miss}" for miss in total.misses))
    elif total.misses:
        print(f"  {len(total.misses)} misses (--verbose lists them)")
    return total


def _timing(rows: list[dict]) -> None:
    started = time.perf_counter()
    for _ in range(REPEATS):
        for row in rows:
            check_text(row["text"], category=row["category"])
    per_check_ms = (time.perf_counter() - started) / (REPEATS * len(rows)) * 1000
    slowest = 0.0
    for row in rows:  # best of three, so another process on a shared machine does not count as our cost
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            check_text(row["text"], category=row["category"])
            runs.append((time.perf_counter() - started) * 1000)
        slowest = max(slowest, min(runs))
    long_copy = "".join(row["text"] + "，" for row in rows)
    started = time.perf_counter()
    check_text(long_copy)
    long_ms = (time.perf_counter() - started) * 1000
    mean_chars = sum(len(row["text"]) for row in rows) / len(rows)
    print(f"\ntime per phrase: mean {per_check_ms:.2f} ms ({mean_chars:.0f} chars), slowest {slowest:.2f} ms; "
          f"{long_ms:.0f} ms on a {len(long_copy)}-char detail page")


def main(verbose: bool = False, heldout_only: bool = False) -> None:
    started = time.perf_counter()
    check_text("預熱：加載詞庫")
    print(f"lexicon and converter load {(time.perf_counter() - started) * 1000:.0f} ms")
    rows = []
    if not heldout_only:
        rows = _load(TUNING)
        _report("tuning set (compliance_phrases.tsv, all rows tuned on)", rows, verbose)
        for name in sorted({row.get("set") or "dev" for row in rows}):
            subset = [row for row in rows if (row.get("set") or "dev") == name]
            tally = Tally()
            for row in subset:
                tally.add(row, not check_text(row["text"], category=row["category"]).ok)
            print(f"    set {name:<10} precision {_ratio(tally.tp, tally.tp + tally.fp)}  "
                  f"recall {_ratio(tally.tp, tally.tp + tally.fn)}")
    if HELDOUT.exists():
        heldout = _load(HELDOUT)
        _report("held-out set (compliance_heldout.tsv, never tuned on)", heldout, verbose)
        rows += heldout
    _timing(rows)


if __name__ == "__main__":
    main(verbose="--verbose" in sys.argv[1:], heldout_only="--heldout-only" in sys.argv[1:])
