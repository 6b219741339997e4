"""Protocol engine timings, one JSON line each: {"name", "value", "unit"}.

Run: .venv/bin/python bench/bench_protocol.py
Records are filled with random, type-correct answers for every question of the shipped
torture-intake protocol (all sections shown: consent given, a minor), the worst case the
GUI meets when it re-evaluates on every keystroke.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "core" / "protocol"))

from protocol_fill import fill  # noqa: E402

from intake_app.protocol import compile_expression, load_protocol, loader  # noqa: E402


def emit(name: str, value: float, unit: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit}), flush=True)


def per_call_ms(fn, repeat: int = 7, number: int = 200) -> tuple[float, float]:
    """(best, median) milliseconds per call over `repeat` batches of `number` calls."""
    batches = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        batches.append((time.perf_counter() - start) / number * 1000)
    return min(batches), statistics.median(batches)


def main() -> None:
    path = ROOT / "resources" / "protocols" / "torture-intake"
    newest = max(int(p.stem[1:]) for p in path.glob("v*.yaml"))
    content = (path / f"v{newest}.yaml").read_bytes()

    starts = []
    for _ in range(5):
        loader._cache.clear()
        start = time.perf_counter()
        loader.load_protocol_bytes(content)
        starts.append((time.perf_counter() - start) * 1000)
    emit("protocol_load_cold", min(starts), "ms")
    p = load_protocol("torture-intake")
    questions = list(p.questions())
    emit("protocol_questions", len(questions), "count")
    emit("protocol_red_flag_rules", len(p.red_flag_rules), "count")

    records = [fill(p, seed, consent__interview="yes", victim__age_at_incident=16)
               for seed in range(50)]
    values = sum(len(r) + sum(len(i) for v in r.values() if isinstance(v, list)
                              for i in v if isinstance(i, dict)) for r in records) / 50
    emit("record_answer_values_mean", values, "count")

    best, median = per_call_ms(lambda: p.evaluate({}))
    emit("evaluate_empty_best", best, "ms")
    record = records[0]
    best, median = per_call_ms(lambda: p.evaluate(record))
    emit("evaluate_full_record_best", best, "ms")
    emit("evaluate_full_record_median", median, "ms")

    start = time.perf_counter()
    for _ in range(20):
        for r in records:
            p.evaluate(r)
    emit("evaluate_1000_varied_records_per_record",
         (time.perf_counter() - start) / 1000 * 1000, "ms")
    # CPU time of this process: fairer than wall time on a machine shared with other work.
    start = time.process_time()
    for _ in range(20):
        for r in records:
            p.evaluate(r)
    emit("evaluate_1000_varied_records_per_record_cpu",
         (time.process_time() - start) / 1000 * 1000, "ms")

    expr = compile_expression(
        "victim.age_at_incident < 18 and minor.legal_rep_present == 'no' or "
        "any(episodes, has(methods, 'electric_shock')) or lawyer.type in ['state', 'none']"
    )
    answers = {"victim.age_at_incident": 16, "minor.legal_rep_present": "yes",
               "episodes": [{"_id": "1", "methods": ["beating"]}] * 3, "lawyer.type": "x"}
    best, _ = per_call_ms(lambda: expr.evaluate(answers), number=5000)
    emit("expression_eval_best", best * 1000, "us")

    big = "(" * 30 + "a" + ")" * 30
    best, _ = per_call_ms(lambda: compile_expression(big), number=200)
    emit("expression_parse_depth30_best", best * 1000, "us")


if __name__ == "__main__":
    main()
