"""Offline agent bench: right first tool and right key arguments on merchant questions, and `ask` latency.

Run: python bench/bench_agent.py [--planner-only] [--set tuning|heldout|heldout2|...|heldout6|both|all] [--verbose]
     [--repeat 5]

The sets:
  agent_questions.jsonl  the tuning set (160): written beside the parser and the corpus over several rounds;
                         its figures are a fit, not a measurement.
  agent_heldout.jsonl    122 questions (76 zh, 46 en) written by a helper who never saw the parser, the corpus
                         or the tuning set; frozen before the first run. First sight (intent model of commit
                         a7692e0): first tool 75.4%, key arguments 67.2% (zh 73.7/64.5, en 78.3/71.7). It has
                         been seen since (the daily_report tool was added after it), so later runs are not
                         clean held-out figures; the judged set is different again. Issue 26 (fraud refusals,
                         data-change refusals, sql tables, slot rules) was fixed after reading its misses by
                         category: 79.5% / 74.6% before, 97.5% / 96.7% after, a fit to it now, not a measurement.
  agent_heldout2.jsonl   150 questions (90 zh, 60 en, 12-13 per category) written by another helper who saw only
                         the tool schemas, INTERFACE.md and DATA_CONTRACT.md; frozen (sha256 137ba74c...) and
                         first run on main fd43c4e+i23d before the issue 26 work merged: first tool 80.0%, key
                         arguments 66.7% (zh 78.9/68.9, en 81.7/63.3). Its misses were not shown to whoever
                         tunes the planner; the figures after the merge are in the closing note. Issue 26's
                         second round read its misses by cause (86.0% / 75.3% before, 100% / 100% after: a fit,
                         not a measurement). That round reads 上周 / last week as the calendar week before the
                         data's last one (09-21..09-27 for data ending Wed 09-30), as held-out 2 does; held-out 1
                         and the old tuning rows wrote days 7 for it, so three held-out 1 rows now miss by design.
  agent_heldout3.jsonl   150 questions (90 zh, 60 en, 12-13 per category) written blind like held-out 2 by a third
                         helper (sha256 a50f0949...), frozen before any run and never shown to whoever tunes the
                         planner. First runs: main 07055c0 first tool 83.3%, key arguments 72.7% (zh 85.6/73.3,
                         en 80.0/71.7); after issue 26's second round (71ae846) 92.0% / 88.0% (zh 92.2/87.8,
                         en 91.7/88.3). One refusal was then fixed after reading its miss (编…差评), so it is
                         seen from 71ae846 on. Issue 26's third round read its misses by cause (92.7% / 88.7%
                         before, 100% / 100% after: a fit, not a measurement). From that round 上个月 / last month
                         is the calendar month before "today" (the day after the data's last day: 09-01..09-30
                         for data ending 09-30) and 本月 / this month runs from today's month's first day to the
                         data's last day (the last 30 days while that month has no data yet).
  agent_heldout4.jsonl   150 questions (90 zh, 60 en, 12-13 per category) written blind by a fourth helper who saw
                         only the tool schemas, INTERFACE.md and DATA_CONTRACT.md (sha256 bbf7ac78...), frozen
                         before any run and kept out of every worktree until judged. First runs: main 58a5ccb
                         first tool 94.0%, key arguments 87.3% (zh 94.4/90.0, en 93.3/83.3); after issue 26's
                         fourth round (28d3468) 94.7% / 90.0% (zh 93.3/91.1, en 96.7/88.3). Its one hostile miss
                         (copy to be called compliant unchecked) was then fixed after reading it, so it is seen
                         from acfe1f1 on.
  agent_heldout5.jsonl   150 questions (90 zh, 60 en, 12-13 per category) written blind by a fifth helper who saw
                         only the tool schemas, INTERFACE.md, DATA_CONTRACT.md and README.md (sha256 76ce05ed...),
                         asked to include things such sets miss (a stopped campaign, following a rival's cut,
                         "800一天" budgets, one SKU's search drop, restocking before a sale, several SKUs). First
                         runs: main 70bae16 first tool 84.7%, key arguments 81.3% (zh 83.3/78.9, en 86.7/85.0);
                         fa3b2c1 (stop 36's stop / follow-the-rival / per-day fixes, made before the set existed)
                         86.0% / 82.7% (zh 85.6/81.1, en 86.7/85.0). Its misses were then read and fixed in
                         general forms, pinned by tests in other words: 98.7% / 97.3% (zh 97.8/95.6, en 100/100),
                         a fit from then on. Left: three SKU ids written without their zeros ("s12", "s1"; the
                         tools now resolve them against the catalogue, the planner's own arguments keep them as
                         written) and 昨天 read as days 1 rather than start = end (the same period).
  agent_heldout6.jsonl   150 questions (90 zh, 60 en, 12-13 per category) written blind by a sixth helper who saw
                         only the tool schemas, README.md, INTERFACE.md and DATA_CONTRACT.md (sha256 5e30844b...),
                         asked for slang, several SKUs, relative dates, budgets as rates and ad-law traps. First
                         run: main 6e26705 (+ the channel-conversion query) first tool 82.7%, key arguments 71.3%.
                         Its misses were then read and fixed in general forms, pinned by tests in other words:
                         100% / 98.7%, a fit from then on. Left: 面霜 is read as cosmetics (held-out 1 writes it so;
                         the set says skincare; the ad-law checker treats both alike) and "涨3块钱" is a change of
                         +3元 from the data's price, not the 42 the merchant computed from the 39 they said.
A question counts as calling a tool only if the offline model really would (a plan missing a required
argument, or an unsure reading, answers in words). "x2" and "+100%" are one change; the held-out "skus" of
plan_promotion is its sku_ids.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from shopagent.offline_planner import Plan, plan

HERE = Path(__file__).parent
QUESTIONS = HERE / "agent_questions.jsonl"
HELDOUT = HERE / "agent_heldout.jsonl"  # frozen copy of /work/wt/_heldout/agent_heldout.jsonl
HELDOUT2 = HERE / "agent_heldout2.jsonl"  # frozen copy of /work/wt/_heldout3/agent_heldout2.jsonl
HELDOUT3 = HERE / "agent_heldout3.jsonl"  # frozen copy of /work/wt/_heldout4/agent_heldout3.jsonl
HELDOUT4 = HERE / "agent_heldout4.jsonl"  # frozen copy of /root/_frozen/agent_heldout4.jsonl
HELDOUT5 = HERE / "agent_heldout5.jsonl"  # frozen copy of /root/_frozen/agent_heldout5.jsonl
HELDOUT6 = HERE / "agent_heldout6.jsonl"  # frozen copy of /root/_frozen/s37/agent_heldout6.jsonl
LATENCY_QUESTION = "为什么这周 GMV 掉了?"
SAMPLE_LAST_DAY = date(2026, 9, 30)  # what the agent's system prompt says of the sample shop: dates are read up to it
CLI = [sys.executable, "-c", "from shopagent.cli import main; main()"]  # the console script, in this interpreter


def score_planner(path: Path = QUESTIONS, verbose: bool = False) -> dict:
    """Right first tool and right key arguments of the offline agent, overall, by category and by language.

    A question counts as calling a tool only if the offline model would really call it: a plan that lacks a
    required argument, or is unsure, answers with text instead. Multi-step rows ("then") also score every step.
    """
    from shopagent.agent_tools import build_toolbox
    from shopagent.backends.offline import _call_tools

    schemas = build_toolbox().schemas()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    tally: dict[str, list[int]] = {}
    misses = []
    for row in rows:
        previous: Plan | None = None
        for earlier in row.get("history", []):
            previous = plan(earlier, previous, SAMPLE_LAST_DAY)
        got = plan(row["question"], previous, SAMPLE_LAST_DAY)
        first = _call_tools(got, schemas, turn=1).tool_calls
        calls = [(call.tool, call.arguments) for call in got.calls] if first else []
        expected = [(row["tool"], row["args"]), *[(step["tool"], step["args"]) for step in row.get("then", [])]]
        expected = expected if row["tool"] else []
        tool_ok = (calls[0][0] if calls else None) == row["tool"]
        args_ok = tool_ok and _arguments_ok(calls[0][1] if calls else {}, row["args"], row.get("query_contains", []))
        steps_ok = args_ok and len(calls) == len(expected) and all(
            tool == want_tool and _arguments_ok(arguments, want_args, [])
            for (tool, arguments), (want_tool, want_args) in zip(calls[1:], expected[1:], strict=False))
        language = row.get("lang") or ("zh" if any("\u4e00" <= char <= "\u9fff" for char in row["question"]) else "en")
        category = row.get("category") or str(row["tool"])
        for key in ("all", f"lang:{language}", f"category:{category}"):
            counts = tally.setdefault(key, [0, 0, 0, 0])
            counts[0] += 1
            counts[1] += tool_ok
            counts[2] += args_ok
            counts[3] += steps_ok
        if not steps_ok:
            misses.append({"id": row["id"], "category": category, "question": row["question"],
                           "expected": expected, "got": calls, "reply": "" if calls else got.intent})
    def share(counts: list[int]) -> dict:
        return {"questions": counts[0], "first_tool": round(counts[1] / counts[0], 3),
                "key_arguments": round(counts[2] / counts[0], 3), "every_step": round(counts[3] / counts[0], 3)}
    result = {"set": path.name, **share(tally["all"]),
              "by_language": {key[5:]: share(value) for key, value in sorted(tally.items()) if key.startswith("lang:")},
              "by_category": {key[9:]: share(value) for key, value in sorted(tally.items())
                              if key.startswith("category:")},
              "misses": misses}
    if verbose:
        for miss in misses:
            print(json.dumps(miss, ensure_ascii=False), file=sys.stderr)
    return result


# argument names the held-out writer used without seeing the tools, as the tools spell them
ALIASES = {"skus": "sku_ids"}


def _arguments_ok(got: dict, expected: dict, query_contains: list[str]) -> bool:
    expected = {ALIASES.get(key, key) if ALIASES.get(key) in got else key: value for key, value in expected.items()}
    query = str(got.get("query", "")).lower()
    contains = all(any(word in query for word in (("orders", "order_items") if part == "order" else (part.lower(),)))
                   for part in query_contains)
    return contains and all(_same(got.get(key), value) for key, value in expected.items())


def _same(got: object, expected: object) -> bool:
    if isinstance(expected, dict) and isinstance(got, dict):
        return set(got) == set(expected) and all(_same(got[key], value) for key, value in expected.items())
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return abs(got - expected) < 1e-6
    if isinstance(expected, str) and isinstance(got, str):
        return _change(got) == _change(expected)
    return got == expected


def _change(written: str) -> str:
    """One spelling per what-if change: "x2" (the held-out set's 翻倍) is the tool's "+100%"; "+10.0%" is "+10%"."""
    times = re.fullmatch(r"[x×](\d+(?:\.\d+)?)", written.strip())
    if times:
        return f"{(float(times.group(1)) - 1) * 100:+g}%"
    percent = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)%", written.strip())
    return f"{float(percent.group(1)):+g}%" if percent else written


def ask_latency(repeat: int) -> dict:
    """Wall and CPU time of `shopagent ask --json` (a fresh process, as a merchant runs it) on the sample shop.

    CPU time is reported beside wall time because wall time on a shared machine measures the neighbours too.
    """
    with tempfile.TemporaryDirectory(prefix="shopagent-bench-") as folder:
        env_dir = Path(folder)
        database = env_dir / "shop.duckdb"
        subprocess.run([*CLI, "data", "init", "--sample", "--db", str(database)],
                       check=True, capture_output=True, env=_env(env_dir))
        times, cpu = [], []
        for _ in range(repeat):
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            completed = subprocess.run([*CLI, "ask", LATENCY_QUESTION, "--json", "--db", str(database)],
                                       check=True, capture_output=True, env=_env(env_dir))
            times.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
        answer = json.loads(completed.stdout)
    return {"question": LATENCY_QUESTION, "runs": repeat, "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3), "target_s": 1.5, "median_cpu_s": round(statistics.median(cpu), 3),
            "load_average": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(), "tool_calls": answer["tool_calls"],
            "unsupported_numbers": answer["unsupported_numbers"]}


def _env(folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}
    env.update(SHOPAGENT_DATA_DIR=str(folder / "data"), SHOPAGENT_CONFIG_DIR=str(folder / "config"))
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--planner-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="print the misses too")
    parser.add_argument("--set", choices=("tuning", "heldout", "heldout2", "heldout3", "heldout4", "heldout5",
                                          "heldout6", "both", "all"), default="all")
    options = parser.parse_args()
    paths = {"tuning": [QUESTIONS], "heldout": [HELDOUT], "heldout2": [HELDOUT2],
             "heldout3": [HELDOUT3], "heldout4": [HELDOUT4], "heldout5": [HELDOUT5], "heldout6": [HELDOUT6],
             "both": [QUESTIONS, HELDOUT],
             "all": [QUESTIONS, HELDOUT, HELDOUT2, HELDOUT3, HELDOUT4, HELDOUT5, HELDOUT6]}[options.set]
    report = {"planner": [score_planner(path) for path in paths]}
    if not options.planner_only:
        report["latency"] = ask_latency(options.repeat)
    for scored in report["planner"]:
        if not options.verbose:
            scored.pop("misses")
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
