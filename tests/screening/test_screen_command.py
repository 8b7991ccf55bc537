"""jingshen screen: the CLI contract, reproducibility, scope and errors."""

import json

import pytest

from jingshen.cli import main
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.screening.models import Flag, ScreeningRun
from tests.ledger.conftest import write
from tests.screening.conftest import entry

KEYS = {"rule", "rule_name", "category", "severity", "score", "org", "fiscal_year", "period", "voucher_type",
        "voucher_no", "line_no", "amount", "message", "basis", "unit_level", "details", "record", "voucher_score", "systemic"}


@pytest.fixture
def books(tree, tmp_path):
    rows = entry(1, "2025-01-20", "50104", "102", "18000.00", "购物卡") + entry(2, "2025-06-07", "50102", "101", "1300.00", "周末现金")
    rows += entry(1, "2025-01-20", "50104", "101", "2000.00", "慰问金", org="B1X")
    rows += entry(3, "2025-01-22", "50102", "102", "300.00", "场地费", org="B1X")  # 记-2 is missing
    import_vouchers(write(tmp_path / "v.csv", rows))


def test_output_is_json_lines_with_the_contract_keys(books, tmp_path, capsys):
    out = tmp_path / "疑点.jsonl"
    assert main(["screen", "--year", "2025", "--output", str(out)]) == 0
    assert "筛查完成：2 个单位" in capsys.readouterr().out
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    flags, summary = records[:-1], records[-1]
    assert flags and all(set(f) == KEYS for f in flags) and all(f["record"] == "flag" for f in flags)
    assert summary["record"] == "run" and summary["units"] == 2 and summary["flags"] == len(flags)
    card = next(f for f in flags if f["rule"] == "JS-CARD-001")
    assert card["org"] == "A1X" and card["voucher_type"] == "记" and card["voucher_no"] == 1 and card["line_no"] == 1
    assert card["amount"] == "18000.00" and card["severity"] == "高"
    weekend = next(f for f in flags if f["rule"] == "JS-TIME-001")
    assert weekend["line_no"] is None and weekend["voucher_no"] == 2
    assert not card["unit_level"] and not weekend["unit_level"] and card["details"] is None
    assert card["voucher_score"] >= weekend["voucher_score"] > 0 and not card["systemic"]
    gap = next(f for f in flags if f["rule"] == "JS-GAP-001")  # a unit-level flag
    assert gap["unit_level"] and gap["org"] == "B1X" and gap["voucher_type"] is None and gap["voucher_no"] is None
    assert gap["details"] == {"series": "记", "missing_from": 2, "missing_to": 2, "missing": 1}
    assert gap["voucher_score"] is None


def test_same_rules_same_data_same_flags(books):
    def signature(run):
        return [(f.rule, f.org.code, f.period, f.voucher_no, f.line_no, f.amount, f.message) for f in run.flags.order_by("id")]

    from jingshen.screening.services import run_screening

    assert signature(run_screening(year=2025)) == signature(run_screening(year=2025))


def test_org_and_rules_options(books, tree, capsys):
    assert main(["screen", "--year", "2025", "--org", "B", "--rules", "JS-CASH-001"]) == 0
    run = ScreeningRun.objects.latest("id")
    assert set(run.flags.values_list("org__code", flat=True)) == {"B1X"}
    assert [r["code"] for r in run.rules] == ["JS-CASH-001"] and run.rules[0]["params"] == {"threshold": 1000, "systemic_share": 0.3}


@pytest.mark.parametrize("args,message", [
    (["--year", "2024"], "都没有 2024 年的凭证数据"),
    (["--year", "2025", "--rules", "JS-NOPE-001"], "未知的规则：JS-NOPE-001"),
    (["--year", "2025", "--org", "ZZ"], "单位编码「ZZ」不存在"),
    (["--year", "2025", "--output", "/nonexistent/疑点.jsonl"], "无法写入输出文件「/nonexistent/疑点.jsonl」"),
])
def test_errors_are_chinese(books, capsys, args, message):
    assert main(["screen", *args]) == 1
    assert message in capsys.readouterr().err
    assert not Flag.objects.exists()


def test_codes_that_look_like_numbers_stay_text(db, tmp_path):
    from jingshen.orgs.services import import_orgs
    from jingshen.screening.services import run_screening
    from tests.conftest import write_csv

    import_orgs(write_csv(tmp_path / "u.csv", [["0101", "前导零工会", "", "基层", "基层工会", "10"]]))
    import_vouchers(write(tmp_path / "v.csv", entry(1, "2025-03-01", "50104", "102", "500.00", "购物卡", org="0101")))
    run = run_screening(year=2025, rule_codes=["JS-CARD-001"])
    assert run.flags.get().org.code == "0101"


def test_a_rule_that_fails_fails_the_run_and_stores_no_flag(books, monkeypatch):
    from jingshen.screening.engine import DuckDBEngine
    from jingshen.screening.services import run_screening

    original = DuckDBEngine.run_one

    def run_one(self, rule, values=None):
        if rule.code == "JS-CASH-001":
            raise RuntimeError("磁盘已满")
        return original(self, rule, values)

    monkeypatch.setattr(DuckDBEngine, "run_one", run_one)
    with pytest.raises(RuntimeError):
        run_screening(year=2025, rule_codes=["JS-CARD-001", "JS-CASH-001", "JS-TIME-001"])
    run = ScreeningRun.objects.latest("id")
    assert run.status == ScreeningRun.Status.FAILED and "磁盘已满" in run.message
    assert not Flag.objects.filter(run=run).exists()


def test_an_interrupted_run_stops_the_rule_still_running(books, monkeypatch):
    """Ctrl-C (or any failure) while the engine computes the next rule in its worker thread:
    the engine is interrupted and closed, and the run is marked 被中断."""
    import threading

    from jingshen.screening.engine import DuckDBEngine
    from jingshen.screening.services import run_screening

    started, interrupted = threading.Event(), threading.Event()
    original = DuckDBEngine.run_one

    def run_one(self, rule, values=None):
        if rule.code == "JS-TIME-001":  # the second rule: runs while the first one's flags are built
            started.set()
            interrupted.wait(10)
            raise RuntimeError("interrupted")
        return original(self, rule, values)

    def interrupt(self):
        interrupted.set()

    def progress(fraction, stage):
        if started.wait(0) or fraction > 0:
            started.wait(10)
            raise KeyboardInterrupt

    monkeypatch.setattr(DuckDBEngine, "run_one", run_one)
    monkeypatch.setattr(DuckDBEngine, "interrupt", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_screening(year=2025, rule_codes=["JS-CARD-001", "JS-TIME-001"], progress=progress)
    assert interrupted.is_set()
    run = ScreeningRun.objects.latest("id")
    assert run.status == ScreeningRun.Status.FAILED and run.message == "被中断"
