"""Voucher import benchmark: the real `jingshen import vouchers` against a plain pandas baseline.

    .venv/bin/python bench/import_bench.py [--lines 1000000] [--repeat 3] [--seed 20261125] [--keep]

1. Generates (seeded, so every run reads the same bytes) a voucher file in the standard
   template, GB18030, for one unit: balanced vouchers of 2-6 lines, numbers restarting each
   month, Chinese 摘要/payees, leaf accounts of the 2010 union chart, two-decimal amounts.
   It goes to a temporary folder, never into the repository; generating is not measured.
2. On a throwaway JINGSHEN_HOME (SQLite) it imports the unit with `jingshen import orgs`, then
   measures `jingshen import vouchers FILE` (default strict mode: full validation): wall time,
   lines/s, peak RSS. Every measured step is its own child process, reaped with os.wait4(),
   whose rusage is that child's (and its own descendants') only. Each of --repeat rounds runs
   every tool once on a fresh home; the best run is the headline (the machine is shared, the
   best run is the least disturbed one), the median and every run are printed too.
3. Baseline in the same run: pandas `read_csv(encoding="gb18030", dtype=str)` + `to_parquet`
   of the same file, in a throwaway venv in the temporary folder (the project's environment is
   not touched). For reference also pyarrow's own CSV reader + Parquet writer in the project
   venv (the libraries the importer is built on).
4. A stage profile of the importer: the same import, in process, with the stages timed
   (encoding sniff, hash, Arrow CSV parse, DuckDB validation, quality checks, Parquet writing,
   publishing). `--cprofile` adds a cProfile listing.

The targets (issue): >= 150,000 lines/s with full validation and peak RSS <= 1 GB on the
2-core machine. The script prints PASS/FAIL but always exits 0 when the measurement itself
worked: it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from _measure import REPO, checked, in_work_folder, jingshen_env, loadavg, measure, summarise, throwaway_venv, work_folder_options
from _measure import machine_info as base_machine_info

VENV_BIN = REPO / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
JINGSHEN = VENV_BIN / "jingshen"
CHART_FILES = [REPO.parent / "shared" / "domain" / "chart-2010.csv", REPO / "src" / "jingshen" / "ledger" / "data" / "union-2010.csv"]

TARGET_LINES_PER_S = 150_000
TARGET_RSS_MIB = 1024  # "1 GB" read as 1 GiB
MIB = 1024 * 1024

HEADER = ["单位编码", "会计年度", "会计期间", "凭证日期", "凭证字", "凭证号", "分录号", "摘要", "科目编码", "科目名称",
          "借方金额", "贷方金额", "往来单位", "结算方式", "制单人", "审核人", "附件数", "票据号"]
ORG_HEADER = ["单位编码", "单位名称", "上级单位编码", "层级", "单位性质", "会员人数"]
ORG = ["330106001", "示范电子股份有限公司工会委员会", "", "基层", "基层工会", "2860"]
YEAR = 2025


# --- generating the voucher file -------------------------------------------------------------------

# 摘要 by account; "{m}" is the month. Accounts not listed get "支付" + the account name.
SUMMARIES = {
    "50101": ["职工书屋购书", "职工技能培训讲课费", "职工学历教育补助", "购买职工读本", "职工技能竞赛培训资料费"],
    "50102": ["职工篮球赛场地租赁费", "职工运动会奖品", "文艺汇演服装租赁费", "羽毛球比赛用品", "健步走活动费用",
              "拔河比赛奖品", "职工摄影比赛奖品", "迎新春文艺晚会演出费", "乒乓球比赛场地费"],
    "50103": ["工会宣传栏制作费", "劳模事迹宣传册印刷费", "五一劳动节宣传横幅", "职工之家标牌制作"],
    "50104": ["职工生日蛋糕券", "春节职工慰问品", "中秋节慰问品（月饼提货券）", "端午节慰问品（粽子提货券）",
              "职工结婚慰问", "职工生育慰问", "职工住院慰问", "退休职工慰问", "职工直系亲属去世慰问", "三八妇女节活动费"],
    "50201": ["集体协商会议资料费", "劳动争议调解员培训费"],
    "50202": ["劳动保护监督检查费用"],
    "50203": ["职工法律援助律师费", "法律咨询服务费"],
    "50204": ["困难职工帮扶救助", "困难职工子女助学金", "大病职工医疗救助"],
    "50205": ["春节送温暖慰问困难职工", "夏季送清凉慰问一线职工"],
    "50301": ["工会干部业务培训费", "经审业务培训费", "工会财务人员培训费"],
    "50302": ["会员代表大会会务费", "工会委员会会议资料费"],
    "50304": ["劳模疗休养费用", "职工创新工作室补助"],
    "50305": ["工会财务软件服务费"],
    "50401": ["工会专职人员{m}月工资"],
    "50402": ["办公用品购置", "打印纸及耗材", "快递邮寄费", "{m}月网络通讯费", "车辆运行维护费"],
    "50403": ["退休人员生活补助"],
    "50404": ["{m}月银行手续费"],
    "50501": ["活动室装修工程款"],
    "50502": ["购置办公电脑", "购置打印机", "购置投影仪"],
    "50503": ["购置健身器材"],
    "50505": ["职工之家修缮费"],
    "50506": ["工会网站维护升级"],
    "506": ["补助下级工会活动经费"],
    "508": ["{m}月银行手续费", "其他支出"],
    "401": ["收取{m}月会员会费"],
    "402": ["收到{m}月拨缴经费"],
    "40301": ["收到上级工会回拨补助"],
    "40302": ["收到上级专项补助"],
    "40304": ["收到上级帮扶补助"],
    "40305": ["收到上级送温暖补助"],
    "404": ["收到政府补助"],
    "408": ["{m}月银行存款利息"],
}
CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "台州"]
BRANDS = ["华联", "新星", "恒信", "金桥", "东方", "宏达", "益民", "百川", "永盛", "天元", "瑞丰", "安泰", "万家", "立信"]
TRADES = ["文体用品", "印务", "餐饮管理", "商贸", "电子科技", "体育场馆管理", "旅行社", "食品", "家电", "物业管理", "图书"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华", "平"]
PREPARERS = ["张伟", "李娜", "王芳"]
REVIEWERS = ["陈静", "刘洋"]
UPPER_UNION = "杭州市西湖区总工会"
EMPLOYER = "示范电子股份有限公司"
# Relative volume by month: festivals (1-2, 9-10) and the year-end peak.
MONTH_WEIGHTS = [1.2, 1.0, 0.8, 0.8, 1.0, 0.9, 0.8, 0.8, 1.1, 1.0, 0.9, 1.6]
LINE_COUNTS, LINE_WEIGHTS = [2, 3, 4, 5, 6], [50, 22, 13, 9, 6]


def load_leaf_accounts() -> dict[str, str]:
    for chart in CHART_FILES:
        if chart.exists():
            with chart.open(encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.DictReader(fh))
            parents = {r["上级科目编码"] for r in rows if r["上级科目编码"]}
            return {r["科目编码"]: r["科目名称"] for r in rows if r["科目编码"] not in parents}
    raise SystemExit(f"chart of accounts not found: {CHART_FILES}")


class VoucherWriter:
    """Deterministic, balanced vouchers for one unit and one year."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.accounts = load_leaf_accounts()
        leaves = self.accounts
        self.expense = [c for c in leaves if c.startswith("5") and not c.startswith("505")]
        self.expense_weights = [6 if c in ("50102", "50104", "50402") else 3 if c in SUMMARIES else 1 for c in self.expense]
        self.capital = [c for c in leaves if c.startswith("505")]
        self.income = [c for c in ("401", "402", "40301", "40302", "40304", "40305", "404", "408") if c in leaves]
        self.income_weights = [5, 6, 1, 1, 1, 1, 1, 2][: len(self.income)]
        for needed in ("101", "102", "135", "162", "301"):
            if needed not in leaves:
                raise SystemExit(f"account {needed} is not a leaf of the chart")
        self.payees = [f"{c}{b}{t}有限公司" for c in CITIES for b in BRANDS for t in TRADES]
        self.people = [s + g for s in SURNAMES for g in GIVEN]

    # amounts are integer cents
    def amount(self, low: float, high: float) -> int:
        yuan = low * (high / low) ** self.rng.random()
        if self.rng.random() < 0.3:
            return max(100, int(round(yuan, -2)) * 100)  # round hundreds
        return max(1, int(yuan * 100))

    def summary(self, code: str, month: int) -> str:
        options = SUMMARIES.get(code)
        text = self.rng.choice(options) if options else "支付" + self.accounts[code]
        return text.replace("{m}", str(month))

    def voucher(self, k: int, month: int) -> tuple[list[tuple], dict]:
        """(account, debit cents, credit cents, 摘要, payee) for k lines, and voucher attributes."""
        rng = self.rng
        kinds = ["expense_bank"]
        if k == 2:
            kinds += ["expense_cash", "income", "cash_withdrawal", "advance", "settle", "to_lower"]
        elif k == 3:
            kinds += ["income", "settle", "expense_cash"]
        elif k == 4:
            kinds += ["fixed_asset", "settle"]
        elif k == 5:
            kinds += ["settle"]
        kind = kinds[0] if rng.random() < 0.55 else rng.choice(kinds)
        lines: list[tuple] = []
        settlement = rng.choices(["转账", "网银", "支票", "公务卡"], [5, 4, 1, 2])[0]
        payee = rng.choice(self.payees)
        if kind in ("expense_bank", "expense_cash", "settle"):
            credit = {"expense_bank": "102", "expense_cash": "101", "settle": "135"}[kind]
            n_debit = k - 1
            refund = kind == "settle" and k == 5
            if refund:
                n_debit = 3
            if kind == "expense_cash":
                settlement = "现金"
            if kind in ("expense_cash", "settle") or rng.random() < 0.15:
                payee = rng.choice(self.people)
            first = rng.choices(self.expense, self.expense_weights)[0]
            group = [c for c in self.expense if c[:3] == first[:3]]  # one activity: accounts under one parent
            codes = [first] + [rng.choice(group) for _ in range(n_debit - 1)]
            head = self.summary(first, month)
            total = 0
            for code in codes:
                cents = self.amount(20, 5000 if kind == "expense_cash" else 50000)
                total += cents
                lines.append((code, cents, 0, head, payee))
            if refund:
                back = self.amount(10, 500)
                lines.append(("101", back, 0, "退回多余备用金", payee))
                total += back
            lines.append((credit, 0, total, head, payee))
        elif kind == "income":
            codes = rng.choices(self.income, self.income_weights, k=k - 1)
            total = 0
            payee = {"402": EMPLOYER, "401": ""}.get(codes[0], UPPER_UNION)
            for code in codes:
                cents = self.amount(2000, 300000) if code == "402" else self.amount(10, 40000)
                total += cents
                lines.append((code, 0, cents, self.summary(code, month), payee))
            lines.insert(0, ("102", total, 0, lines[0][3], payee))
            settlement = "转账"
        elif kind == "cash_withdrawal":
            cents = self.amount(500, 20000)
            lines = [("101", cents, 0, "提取备用金", ""), ("102", 0, cents, "提取备用金", "")]
            settlement = "现金支票"
        elif kind == "advance":
            cents = self.amount(500, 30000)
            person = rng.choice(self.people)
            text = f"{person}借支活动经费"
            lines = [("135", cents, 0, text, person), ("102", 0, cents, text, person)]
        elif kind == "to_lower":
            cents = self.amount(1000, 50000)
            lines = [("506", cents, 0, "补助下级工会活动经费", UPPER_UNION.replace("总工会", "某街道总工会")),
                     ("102", 0, cents, "补助下级工会活动经费", UPPER_UNION.replace("总工会", "某街道总工会"))]
        else:  # fixed_asset: the purchase and the 固定资产/固定基金 mirror entry
            cents = self.amount(3000, 80000)
            code = rng.choice(self.capital)
            text = self.summary(code, month)
            lines = [(code, cents, 0, text, payee), ("102", 0, cents, text, payee),
                     ("162", cents, 0, text + "（转固定资产）", ""), ("301", 0, cents, text + "（转固定资产）", "")]
        invoice = ""
        if kind in ("expense_bank", "expense_cash", "fixed_asset", "settle") and rng.random() < 0.6:
            invoice = str(rng.randrange(10**7, 10**8)) if rng.random() < 0.5 else "2533" + str(rng.randrange(10**15, 10**16))
        attrs = {
            "settlement": settlement,
            "preparer": rng.choice(PREPARERS),
            "reviewer": rng.choice(REVIEWERS),
            "attachments": str(rng.randint(0, 8)),
            "invoice": invoice,
        }
        return lines, attrs

    def month_days(self, month: int) -> tuple[list[date], list[date]]:
        day, weekdays, weekends = date(YEAR, month, 1), [], []
        while day.month == month:
            (weekdays if day.weekday() < 5 else weekends).append(day)
            day += timedelta(days=1)
        return weekdays, weekends

    def write(self, path: Path, units: list[tuple[str, int]]) -> dict:
        """Write ``units`` (unit code, lines) one after the other into one file."""
        written = vouchers = 0
        with path.open("w", encoding="gb18030", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(HEADER)
            for org_code, lines in units:
                unit = self.write_unit(out, lines, org_code)
                written += unit["lines"]
                vouchers += unit["vouchers"]
        return {"lines": written, "vouchers": vouchers}

    def write_unit(self, out, lines: int, org_code: str) -> dict:
        rng = self.rng
        per_month = [int(lines * w / sum(MONTH_WEIGHTS)) for w in MONTH_WEIGHTS]
        per_month[-1] = lines - sum(per_month[:-1])
        written = vouchers = 0
        for month, target in enumerate(per_month, start=1):
            sizes, left = [], target
            while left > 0:
                k = rng.choices(LINE_COUNTS, LINE_WEIGHTS)[0]
                if left - k == 1:
                    k = k + 1 if k < 6 else k - 1
                k = min(k, left)
                sizes.append(k)
                left -= k
            if sizes and sizes[-1] == 1:  # only when the month's target is 1
                sizes[-1] = 2
            weekdays, weekends = self.month_days(month)
            days = sorted(rng.choice(weekends) if rng.random() < 0.02 else rng.choice(weekdays) for _ in sizes)
            for number, (k, day) in enumerate(zip(sizes, days), start=1):
                body, a = self.voucher(k, month)
                iso = day.isoformat()
                for line_no, (code, debit, credit, text, payee) in enumerate(body, start=1):
                    out.writerow([
                        org_code, YEAR, month, iso, "记", number, line_no, text, code, self.accounts[code],
                        f"{debit // 100}.{debit % 100:02d}" if debit else "",
                        f"{credit // 100}.{credit % 100:02d}" if credit else "",
                        payee, a["settlement"], a["preparer"], a["reviewer"], a["attachments"],
                        a["invoice"] if debit else "",
                    ])
                written += len(body)
                vouchers += 1
        return {"lines": written, "vouchers": vouchers}


# --shape: how the lines are spread over units in the one file (issue 13, item 5).
SHAPES = {
    "one": "one unit of --lines lines",
    "600x800": "600 units of about 800 lines (600-1,000)",
    "province": "3,000 grassroots units of 200-2,000 lines and 5 large units of 60,000 (about 3.3 M lines)",
}


def shape_units(shape: str, lines: int, seed: int) -> list[tuple[str, int]]:
    """(unit code, lines) of every unit of the file."""
    if shape == "one":
        return [(ORG[0], lines)]
    rng = random.Random(f"import-bench-shape:{shape}:{seed}")
    if shape == "600x800":
        return [(f"33010{i:04d}", round(600 + 400 * rng.random())) for i in range(600)]
    return ([(f"33019{i:04d}", 60_000) for i in range(5)]
            + [(f"33010{i:04d}", round(200 + 1800 * rng.random() ** 1.25)) for i in range(3000)])


# --- running and measuring child processes ----------------------------------------------------------


def fresh_home(work: Path, name: str, units: list[tuple[str, int]]) -> tuple[Path, dict]:
    """A new JINGSHEN_HOME (SQLite) holding the file's units, imported through the real CLI (a
    home a kept work folder still has is removed first: its datasets would make the import a no-op)."""
    home = work / name
    shutil.rmtree(home, ignore_errors=True)
    env = jingshen_env(home)
    org_file = work / "units.csv"
    if not org_file.exists():
        with org_file.open("w", encoding="utf-8-sig", newline="") as fh:
            rows = [ORG] if [code for code, _ in units] == [ORG[0]] else [
                [code, f"示范{code[-4:]}号单位工会委员会", "", "基层", "基层工会", "300"] for code, _ in units]
            csv.writer(fh).writerows([ORG_HEADER, *rows])
    checked(measure([JINGSHEN, "import", "orgs", org_file], env, work / f"{name}-orgs"), "jingshen import orgs")
    return home, env


PANDAS_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
t1 = time.perf_counter()
df = pd.read_csv(sys.argv[1], encoding="gb18030", dtype=str)
t2 = time.perf_counter()
df.to_parquet(sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"rows": len(df), "import": t1 - t0, "read_csv": t2 - t1, "to_parquet": t3 - t2}))
"""

PYARROW_SCRIPT = """
import json, sys, time
import pyarrow as pa, pyarrow.csv as pacsv, pyarrow.parquet as pq
t1 = time.perf_counter()
names = pacsv.open_csv(sys.argv[1], read_options=pacsv.ReadOptions(encoding="gb18030")).schema.names
table = pacsv.read_csv(sys.argv[1], read_options=pacsv.ReadOptions(encoding="gb18030"),
                       convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}))
t2 = time.perf_counter()
pq.write_table(table, sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"rows": table.num_rows, "read_csv": t2 - t1, "to_parquet": t3 - t2}))
"""


def pandas_python(work: Path, given: str | None) -> tuple[Path | None, str]:
    """An interpreter with pandas and pyarrow: the one given, or a throwaway venv in ``work``."""
    if given:
        return Path(given), "given"
    return throwaway_venv(work / "pandas-venv", ["pandas", "pyarrow"], "import pandas, pyarrow")


# --- the stage profile (runs inside a child: `--_stage-profile CSV`) ------------------------------


WAIT = "Arrow CSV parse (GB18030 transcode): validation waiting for the next group"


class TimedConnection:
    """A DuckDB connection that times each statement, by what it does in the importer."""

    def __init__(self, con, timings):
        self._con, self._timings = con, timings

    @staticmethod
    def stage(sql: str) -> str:
        s = " ".join(sql.split())
        if s.startswith("COPY"):
            for name in ("vouchers", "texts", "data", "summary", "quality"):  # the first two read data.parquet
                if f"/{name}.parquet'" in s:
                    return f"Parquet: write {name}.parquet"
        if "sum(hash(" in s or "FROM quality GROUP BY" in s:
            return "facts per unit-year: checksum, periods, quality counts (one pass each)"
        if s.startswith("INSERT INTO all_lines"):
            return "DuckDB validation: parse, check and store each group (INSERT INTO all_lines)"
        if s.startswith("INSERT INTO errors") or "TEMP TABLE bad_rows" in s:
            return "DuckDB validation: list the errors of a group with bad rows"
        if "FROM all_lines WHERE bad" in s or "TEMP VIEW parsed" in s:
            return "DuckDB validation: per-group bad-row check, view set-up"
        if "TEMP TABLE quality" in s:
            return "quality checks (QUALITY_SQL)"
        return "other SQL (counts, set-up, chart)"

    def execute(self, sql, params=None):
        start = time.perf_counter()
        try:
            return self._con.execute(sql, params) if params is not None else self._con.execute(sql)
        finally:
            self._timings[self.stage(sql)] += time.perf_counter() - start

    def __getattr__(self, name):
        return getattr(self._con, name)


def stage_profile(csv_path: str, result_path: str, use_cprofile: bool) -> None:
    """Import ``csv_path`` in this process with every stage timed; write the timings as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingshen.settings")
    import django

    django.setup()
    from jingshen.ledger.importers import common, source, vouchers

    timings: dict[str, float] = defaultdict(float)
    from jingshen import tabular

    detect = tabular.detect_encoding

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timings[name] += time.perf_counter() - start
        return wrapper

    def patch(module, name, label):
        """Time ``module.name`` if the importer still has it (others edit the code concurrently)."""
        if hasattr(module, name):
            setattr(module, name, timed(label, getattr(module, name)))
        else:
            print(f"stage profile: {module.__name__}.{name} not found, not timed", file=sys.stderr)

    patch(source, "sniff_encoding", "encoding sniff (first 1 MiB)")
    patch(vouchers, "open_source", "_open_source")
    patch(vouchers, "file_sha256", "SHA-256 of the file")
    patch(vouchers, "load_orgs", "other (units, Django queries)")
    patch(vouchers, "_known_orgs", "other (units, Django queries)")
    patch(vouchers, "_validate_batch", "_validate_batch")
    patch(vouchers, "raise_errors", "other (error table check)")
    patch(vouchers, "_write_pack", "_write_pack")
    patch(vouchers, "publish_pack", "publish (fsync, rename, Dataset row, activity log)")
    vouchers.connect = lambda workdir: TimedConnection(common.connect(workdir), timings)
    prefetch = vouchers.prefetch

    def timed_prefetch(groups, **kwargs):
        """The validation loop's wait for the next group (Arrow parses in the background thread)."""
        it = prefetch(groups, **kwargs)
        while True:
            start = time.perf_counter()
            try:
                group = next(it)
            except StopIteration:
                timings[WAIT] += time.perf_counter() - start
                return
            timings[WAIT] += time.perf_counter() - start
            timings["_batches"] += 1
            yield group

    vouchers.prefetch = timed_prefetch
    batches = source.Source.batches

    profiler = None
    if use_cprofile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    report = vouchers.import_vouchers(csv_path)
    total = time.perf_counter() - start
    measured = dict(timings)  # the extra measurements below must not add to the import's stages
    if profiler:
        import io
        import pstats

        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        Path(result_path).with_suffix(".cprofile.txt").write_text(text.getvalue(), encoding="utf-8")

    # Arrow's reader alone (nothing else running), to separate parse cost from DuckDB time.
    source.Source.batches = batches
    src = source.open_source(Path(csv_path), vouchers.VOUCHER_FIELDS)
    start = time.perf_counter()
    rows = sum(b.num_rows for b in src.batches())
    parse_alone = time.perf_counter() - start
    # The same bytes as UTF-8: what the GB18030 transcoding costs Arrow.
    utf8 = Path(result_path).with_suffix(".utf8.csv")
    with open(csv_path, encoding="gb18030", newline="") as fin, utf8.open("w", encoding="utf-8", newline="") as fout:
        shutil.copyfileobj(fin, fout, 1 << 22)
    src8 = source.open_source(utf8, vouchers.VOUCHER_FIELDS)
    start = time.perf_counter()
    rows8 = sum(b.num_rows for b in src8.batches())
    parse_utf8 = time.perf_counter() - start
    start = time.perf_counter()
    detect(utf8, utf8.name)
    scan_utf8 = time.perf_counter() - start
    utf8.unlink()

    import resource

    result = {
        "total": total,
        "rows": report.rows,
        "quality_issues": sum(d.quality_issues for d in report.created),
        "timings": measured,
        "arrow_parse_alone": {"rows": rows, "seconds": parse_alone},
        "arrow_parse_alone_utf8": {"rows": rows8, "seconds": parse_utf8},
        "encoding_scan_utf8": scan_utf8,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")


def stage_rows(p: dict) -> list[tuple[str, float]]:
    """The profile as (stage, seconds) rows that add up to the import's total."""
    t = dict(p["timings"])
    t.pop("_batches", None)
    duck_validation = sum(v for k, v in t.items() if k.startswith("DuckDB validation"))
    rows = [
        ("encoding sniff (first 1 MiB)", t.pop("encoding sniff (first 1 MiB)", 0.0)),
        ("header sniff (open_source, rest)", 0.0),
        ("SHA-256 of the file", t.pop("SHA-256 of the file", 0.0)),
        (WAIT, t.pop(WAIT, 0.0)),
    ]
    rows[1] = (rows[1][0], t.pop("_open_source", 0.0) - rows[0][1])
    for k in sorted(k for k in t if k.startswith("DuckDB validation")):
        rows.append((k, t.pop(k)))
    validate = t.pop("_validate_batch", 0.0)
    rows.append(("validation: Python/Django around the SQL (chart, units)", max(0.0, validate - duck_validation)))
    t.pop("_write_pack", 0.0)  # its statements are timed one by one below
    for k in ("quality checks (QUALITY_SQL)", "Parquet: write data.parquet", "Parquet: write vouchers.parquet",
              "Parquet: write texts.parquet", "Parquet: write summary.parquet",
              "Parquet: write quality.parquet", "facts per unit-year: checksum, periods, quality counts (one pass each)"):
        rows.append((k, t.pop(k, 0.0)))
    other_sql = t.pop("other SQL (counts, set-up, chart)", 0.0)
    rows.append(("other SQL (progress counts, set-up)", other_sql))
    rows.append(("publish (fsync, rename, Dataset row, activity log)", t.pop("publish (fsync, rename, Dataset row, activity log)", 0.0)))
    rows.append(("other (units, error table, Django queries)", sum(t.values())))
    rows.append(("unaccounted", p["total"] - sum(v for _, v in rows)))
    return rows


# --- main ---------------------------------------------------------------------------------------------


def machine_info(pandas_py: Path | None) -> dict:
    info = base_machine_info(("django", "duckdb", "pyarrow", "numpy"))
    if pandas_py:
        out = subprocess.run([str(pandas_py), "-c", "import pandas, pyarrow; print(pandas.__version__, pyarrow.__version__)"],
                             capture_output=True, text=True)
        if out.returncode == 0:
            info["pandas"], info["pandas_venv_pyarrow"] = out.stdout.split()
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="journal lines to generate (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--shape", choices=list(SHAPES), default="one",
                        help="; ".join(f"{k}: {v}" for k, v in SHAPES.items()) + " (default one)")
    work_folder_options(parser, "the file, homes and pandas venv")
    parser.add_argument("--pandas-python", help="an interpreter with pandas and pyarrow (default: a throwaway venv)")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--no-profile", action="store_true", help="skip the stage profile")
    parser.add_argument("--cprofile", action="store_true", help="also run cProfile over the profiled import")
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds, each on a fresh home (default 3; the best and the median are reported)")
    parser.add_argument("--_stage-profile", nargs=2, metavar=("CSV", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._stage_profile:
        stage_profile(*args._stage_profile, use_cprofile=args.cprofile)
        return
    if args.lines < 2:
        parser.error("--lines must be at least 2")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    in_work_folder(parser, args, "jingshen-bench-", run, "files kept in {work}")


def run(args, work: Path) -> None:
    lines = args.lines
    print(f"work folder: {work}")
    pandas_py, how = (None, "skipped (--no-pandas)") if args.no_pandas else pandas_python(work, args.pandas_python)
    if not args.no_pandas and pandas_py is None:
        print(f"pandas baseline unavailable: {how}")
    info = machine_info(pandas_py)
    load_before = loadavg()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))

    units = shape_units(args.shape, args.lines, args.seed)
    path = work / f"凭证-{args.shape}-{sum(n for _, n in units)}.csv"
    start = time.perf_counter()
    gen = VoucherWriter(args.seed).write(path, units)
    lines = gen["lines"]
    size = path.stat().st_size
    print(f"generated {gen['lines']:,} lines, {gen['vouchers']:,} vouchers of {len(units):,} units ({SHAPES[args.shape]}), "
          f"{size / MIB:.1f} MiB GB18030 in {time.perf_counter() - start:.1f} s (not measured)")

    tools = {"importer": "jingshen import vouchers (strict)"}
    if pandas_py:
        tools["pandas"] = "pandas read_csv(gb18030, dtype=str) + to_parquet"
    tools["pyarrow"] = "pyarrow read_csv(gb18030) + write_table (reference)"
    runs: dict[str, list[dict]] = {k: [] for k in tools}
    results = {"date": time.strftime("%Y-%m-%d"), "lines": lines, "vouchers": gen["vouchers"], "file_mib": size / MIB,
               "shape": args.shape, "units": len(units),
               "seed": args.seed, "machine": info, "repeat": args.repeat, "load_before": load_before}
    # Rounds interleave the tools, so load from other processes on the machine hits them alike.
    for i in range(args.repeat):
        print(f"round {i + 1}/{args.repeat}: load average {loadavg()}", flush=True)
        _, env = fresh_home(work, f"home-{i}", units)
        print("  jingshen import vouchers …", flush=True)
        imp = checked(measure([JINGSHEN, "import", "vouchers", path], env, work / f"import-{i}"), "jingshen import vouchers")
        runs["importer"].append(imp)
        if i == 0:
            listed = checked(measure([JINGSHEN, "datasets", "list", "--json"], env, work / "list"), "jingshen datasets list")
            datasets = json.loads(listed["stdout"])
            results["imported_rows"] = sum(d["rows"] for d in datasets)
            results["quality_issues"] = sum(d["quality_issues"] for d in datasets)
            results["cli_startup_seconds"], results["cli_startup_rss_mib"] = listed["seconds"], listed["peak_rss_mib"]
            print(f"    {imp['stdout'].strip()}")
            if results["imported_rows"] != lines:
                print(f"    WARNING: {results['imported_rows']:,} lines imported, {lines:,} generated")
        if pandas_py:
            print("  pandas read_csv + to_parquet …", flush=True)
            r = measure([pandas_py, "-c", PANDAS_SCRIPT, path, work / "pandas.parquet"], env, work / f"pandas-{i}")
            if r["rc"] == 0:
                r["inner"] = json.loads(r["stdout"].strip().splitlines()[-1])
                runs["pandas"].append(r)
            else:
                print(f"pandas baseline failed: {r['stderr'][-1000:]}")
        print("  pyarrow read_csv + write_table …", flush=True)
        r = measure([PYTHON, "-c", PYARROW_SCRIPT, path, work / "pyarrow.parquet"], env, work / f"pyarrow-{i}")
        if r["rc"] == 0:
            r["inner"] = json.loads(r["stdout"].strip().splitlines()[-1])
            runs["pyarrow"].append(r)
        for f in ("pandas.parquet", "pyarrow.parquet"):
            (work / f).unlink(missing_ok=True)
    table = [summarise(tools[k], runs[k], lines) for k in tools if runs[k]]
    if runs.get("pandas"):
        results["pandas_inner"] = min(runs["pandas"], key=lambda r: r["seconds"])["inner"]
    results["table"] = table

    if not args.no_profile:
        print("stage profile of the importer (in process, fresh home) …", flush=True)
        _, penv = fresh_home(work, "home-profile", units)
        out = work / "profile.json"
        cmd = [PYTHON, Path(__file__).resolve(), "--_stage-profile", path, out] + (["--cprofile"] if args.cprofile else [])
        prof = measure(cmd, penv, work / "profile")
        if prof["rc"] == 0:
            results["profile"] = json.loads(out.read_text(encoding="utf-8"))
            results["profile"]["stages"] = stage_rows(results["profile"])
            if args.cprofile:
                results["cprofile"] = out.with_suffix(".cprofile.txt").read_text(encoding="utf-8")
        else:
            print(f"stage profile failed: {prof['stderr'][-2000:]}")

    results["load_after"] = loadavg()
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


def report(r: dict) -> None:
    lines = r["lines"]
    print(f"\n{lines:,} lines ({r['vouchers']:,} vouchers, {r['units']:,} units: shape {r['shape']}, {r['file_mib']:.1f} MiB GB18030), "
          f"{r['machine']['nproc']} cores, "
          f"load average before/after: {r['load_before']} / {r['load_after']}")
    print(f"imported {r['imported_rows']:,} lines, {r['quality_issues']} quality issues; "
          f"CLI start-up alone (jingshen datasets list): {r['cli_startup_seconds']:.2f} s, {r['cli_startup_rss_mib']:.0f} MiB\n")
    print(f"{'tool':<54} {'best s':>7} {'median s':>9} {'lines/s':>10} {'peak RSS MiB':>13} {'CPU s':>6}  all runs (s)")
    for t in r["table"]:
        print(f"{t['tool']:<54} {t['seconds']:>7.2f} {t['median_seconds']:>9.2f} {t['lines_per_s']:>10,.0f} "
              f"{t['peak_rss_mib']:>13.0f} {t['cpu_seconds']:>6.1f}  " + ", ".join(f"{x:.2f}" for x in t["all_seconds"]))
    print(f"lines/s and CPU s: the best of {r['repeat']} run(s); peak RSS: the highest of the runs; each run a fresh child process")
    for t in r["table"]:
        print(f"  CPU seconds used by other processes during each {t['tool'].split(' (')[0].split(' read_csv')[0]} run: "
              + ", ".join(f"{x:.1f}" for x in t["other_cpu_seconds"]))
    imp = r["table"][0]
    pd_row = next((t for t in r["table"] if t["tool"].startswith("pandas")), None)
    if pd_row:
        print(f"\nimporter vs pandas: {imp['seconds'] / pd_row['seconds']:.2f}× the time "
              f"({imp['lines_per_s'] / pd_row['lines_per_s']:.2f}× the speed), "
              f"{imp['peak_rss_mib'] / pd_row['peak_rss_mib']:.2f}× the peak memory")
    if "pandas_inner" in r:
        p = r["pandas_inner"]
        print(f"pandas inside: import {p['import']:.2f} s, read_csv {p['read_csv']:.2f} s, to_parquet {p['to_parquet']:.2f} s")
    speed_ok = imp["lines_per_s"] >= TARGET_LINES_PER_S
    rss_ok = imp["peak_rss_mib"] <= TARGET_RSS_MIB
    print(f"\ntarget ≥ {TARGET_LINES_PER_S:,} lines/s with full validation: {imp['lines_per_s']:,.0f} → {'PASS' if speed_ok else 'FAIL'}")
    print(f"target peak RSS ≤ {TARGET_RSS_MIB} MiB: {imp['peak_rss_mib']:.0f} MiB → {'PASS' if rss_ok else 'FAIL'}")
    if "profile" in r:
        p = r["profile"]
        print(f"\nstage profile (one in-process import, {p['total']:.2f} s, {p['rows']:,} lines, peak RSS {p['peak_rss_mib']:.0f} MiB, "
              f"{int(p['timings'].get('_batches', 0))} validation groups):")
        for name, seconds in p["stages"]:
            print(f"  {name:<62} {seconds:>7.2f} s {100 * seconds / p['total']:>5.1f} %")
        a, a8 = p["arrow_parse_alone"], p["arrow_parse_alone_utf8"]
        print(f"  Arrow reader alone over the file: GB18030 {a['seconds']:.2f} s ({a['rows'] / a['seconds']:,.0f} lines/s), "
              f"same data as UTF-8 {a8['seconds']:.2f} s ({a8['rows'] / a8['seconds']:,.0f} lines/s)")
        print(f"  a whole-file encoding scan (detect_encoding, not used by the import) of the UTF-8 copy: {p['encoding_scan_utf8']:.2f} s")
    if "cprofile" in r:
        print("\ncProfile (tottime, top 25):\n" + r["cprofile"])


if __name__ == "__main__":
    main()
