"""Explanation rendering: the compiled template (rules.Rule.explainer) against the str.format
explainer it replaced, on generated rows of a few pack rules (200 k rows each by default).

    .venv/bin/python bench/explain_bench.py [--rows 200000] [--repeat 7]

Both explainers run interleaved in one process, best of ``--repeat``, and must give the same
text. A throwaway JINGSHEN_HOME is used (Django reads its settings only; no database).
"""

import argparse
import datetime
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

RULE_CODES = ("JS-DUP-001", "JS-CASH-001", "JS-CARD-001", "JS-BEN-001")


def value(column: str, i: int):
    if i % 10 == 0 and column not in ("amount",):
        return None
    if column in ("amount", "total", "cap"):
        return Decimal(i) / 100
    if "date" in column:
        return datetime.date(2025, 1, 1) + datetime.timedelta(days=i % 300)
    if column in ("days", "fiscal_year", "period", "voucher_no", "line_no", "n"):
        return i % 97
    return f"摘要文本{i % 1000}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ["JINGSHEN_HOME"] = tempfile.mkdtemp(prefix="explain-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingshen.settings")
    root = Path(__file__).resolve().parent.parent
    sys.path[:0] = [str(root / "src"), str(root)]
    import django

    django.setup()
    from jingshen.screening.rules import compile_template, load_rules
    from tests.screening.test_templates import str_format_explainer  # the reference the tests compare with

    rules = load_rules()
    for code in RULE_CODES:
        rule = rules[code]
        names = [n for _, kind, n in compile_template(rule.explanation, rule.params) if kind == "column"]
        columns = ["org", "fiscal_year", "period", "voucher_type", "voucher_no", "line_no", "amount"]
        columns += [n for n in dict.fromkeys(names) if n not in columns]
        rows = [tuple(value(c, i) for c in columns) for i in range(args.rows)]
        best = {"str.format": float("inf"), "compiled": float("inf")}
        for _ in range(args.repeat):
            for label, make in (("str.format", str_format_explainer), ("compiled", type(rule).explainer)):
                start = time.perf_counter()
                explain = make(rule, columns)
                for row in rows:
                    explain(row)
                best[label] = min(best[label], time.perf_counter() - start)
        old, new = str_format_explainer(rule, columns), rule.explainer(columns)
        assert all(old(r) == new(r) for r in rows), f"{code}: the two explainers differ"
        print(f"{code} ({len(names)} fields): str.format {best['str.format'] * 1000:.0f} ms, "
              f"compiled {best['compiled'] * 1000:.0f} ms for {args.rows:,} rows "
              f"({best['str.format'] / best['compiled']:.2f}×)")


if __name__ == "__main__":
    main()
