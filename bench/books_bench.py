"""查账 page benchmark: every 查账 page on one unit-year of 1,000,000 journal lines.

    .venv/bin/python bench/books_bench.py [--lines 1000000] [--repeat 15] [--workdir DIR --keep]

1. Generates the import benchmark's voucher file (same generator and seed, GB18030) and imports
   it with the real `jingshen import vouchers` into a throwaway JINGSHEN_HOME (SQLite) in a
   temporary folder, never into the repository. Not measured.
2. In a child process (Django on that home), an auditor of the unit requests each page through Django's test client: the whole request (middleware, login and unit
   scope, DuckDB over the dataset's Parquet files, template rendering), once to warm up, then
   --repeat times. Per page: median, 95th percentile and slowest time, and the HTML size.
3. Baseline in the same child: reading the year's `data.parquet` into memory with pyarrow
   (`pq.read_table`), the least any page would cost that answered from the raw lines without
   the precomputed per-account totals (`summary.parquet`) and DuckDB's filter and paging
   push-down; each page's median is printed as a ratio of it.

The target (issue 3): each page answers within 300 ms for a unit-year of 1 M lines. The script
prints PASS/FAIL per page and exits 0 either way: it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _measure import checked, in_work_folder, jingshen_env, loadavg, measure, work_folder_options
from _measure import machine_info as base_machine_info
from import_bench import JINGSHEN, ORG, PYTHON, VoucherWriter, fresh_home

TARGET_MS = 300


def pages(args: dict) -> None:
    """Child (Django): time every page for the one dataset of the home; print JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingshen.settings")
    import django

    django.setup()
    import pyarrow.parquet as pq
    from django.core.management import call_command
    from django.test import Client

    from jingshen.accounts.models import RoleCode, User
    from jingshen.accounts.services import create_user
    from jingshen.ledger import books, store
    from jingshen.ledger.models import Dataset
    from jingshen.orgs.models import Org

    call_command("collectstatic", interactive=False, verbosity=0)  # as `jingshen serve` does: pages use the manifest
    dataset = Dataset.objects.get()
    user = User.objects.filter(username="bench").first() or create_user(
        org=Org.objects.get(code=dataset.org.code), username="bench", password="bench-Passw0rd!", roles=[RoleCode.AUDITOR])
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    base = f"/books/{dataset.pk}"
    first_voucher = books.journal(dataset, books.JournalFilter(), 1).lines[0]
    late = books.journal(dataset, books.JournalFilter(), 10**9).lines[-1]
    urls = {
        "科目余额表 (all levels, periods 1–12)": f"{base}/balances/",
        "科目余额表 (level 1, periods 3–5)": f"{base}/balances/?level=1&from=3&to=5",
        "明细账 102 银行存款, first page": f"{base}/ledger/102/",
        "明细账 102 银行存款, last page": f"{base}/ledger/102/?page=1000000000",
        "明细账 501 (with its sub-accounts), periods 6–9, page 20": f"{base}/ledger/501/?from=6&to=9&page=20",
        "凭证 (first voucher)": f"{base}/voucher/{first_voucher.period}/{first_voucher.voucher_type}/{first_voucher.voucher_no}/",
        "凭证 (a December voucher)": f"{base}/voucher/{late.period}/{late.voucher_type}/{late.voucher_no}/",
        "序时账, first page": f"{base}/journal/",
        "序时账, last page": f"{base}/journal/?page=1000000000",
        "序时账, dates + account + amount range": f"{base}/journal/?date_from=2025-03-01&date_to=2025-06-30&account=501&amount_min=500&amount_max=5000",
        "序时账, words in 摘要, page 3": f"{base}/journal/?words=%E6%B4%BB%E5%8A%A8&page=3",
        "序时账, counterparty": f"{base}/journal/?counterparty=%E6%9D%AD%E5%B7%9E",
    }
    results = {}
    for name, url in urls.items():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        times = []
        for _ in range(args["repeat"]):
            t = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t)
        times.sort()
        results[name] = {"url": url, "median_ms": 1000 * statistics.median(times),
                         "p95_ms": 1000 * times[max(0, round(0.95 * len(times)) - 1)], "max_ms": 1000 * times[-1],
                         "bytes": len(response.content)}
    reads = []
    for _ in range(5):
        t = time.perf_counter()
        table = pq.read_table(store.parquet_path(dataset))
        reads.append(time.perf_counter() - t)
    print(json.dumps({"pages": results, "baseline_ms": 1000 * min(reads), "rows": table.num_rows}, ensure_ascii=False))


def run(args, work: Path) -> None:
    print(f"work folder: {work}")
    info = base_machine_info(("django", "duckdb", "pyarrow"))
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    home = work / "home"
    env = jingshen_env(home)
    if not (home / "datasets").exists():
        path = work / f"凭证-{args.lines}.csv"
        gen = VoucherWriter(args.seed).write(path, args.lines, ORG[0])
        print(f"generated {gen['lines']:,} lines, {gen['vouchers']:,} vouchers (not measured)")
        home, env = fresh_home(work, "home")
        imported = checked(measure([JINGSHEN, "import", "vouchers", path], env, work / "import"), "jingshen import vouchers")
        print(f"imported in {imported['seconds']:.1f} s (not measured here; see import_bench.py)")
        path.unlink()
    print(f"load average before: {loadavg()}")
    child = subprocess.run([PYTHON, __file__, "--child", json.dumps({"repeat": args.repeat})], env=env,
                           capture_output=True, text=True)
    if child.returncode != 0:
        raise SystemExit(child.stderr[-3000:])
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"load average after: {loadavg()}")
    base = result["baseline_ms"]
    print(f"\n{result['rows']:,} journal lines in one dataset; {args.repeat} requests per page after one warm-up; "
          f"baseline pq.read_table of data.parquet: {base:.0f} ms")
    print(f"\n{'page':<58} {'median ms':>9} {'p95 ms':>7} {'max ms':>7} {'× baseline':>10}  {'KiB':>5}  target")
    worst = 0.0
    for name, r in result["pages"].items():
        worst = max(worst, r["p95_ms"])
        verdict = "PASS" if r["p95_ms"] <= TARGET_MS else "FAIL"
        print(f"{name:<58} {r['median_ms']:>9.1f} {r['p95_ms']:>7.1f} {r['max_ms']:>7.1f} {r['median_ms'] / base:>10.2f}  "
              f"{r['bytes'] / 1024:>5.0f}  {verdict}")
    print(f"\ntarget every page ≤ {TARGET_MS} ms (95th percentile): slowest {worst:.1f} ms → "
          f"{'PASS' if worst <= TARGET_MS else 'FAIL'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, **result}, ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        pages(json.loads(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="journal lines to generate (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page (default 15)")
    parser.add_argument("--seed", type=int, default=20261125, help="the generator's seed (as import_bench.py)")
    work_folder_options(parser, "the home")
    args = parser.parse_args()
    in_work_folder(parser, args, "books-bench-", run, "work folder kept: {work} (re-run with --workdir {work} --keep)")


if __name__ == "__main__":
    main()
