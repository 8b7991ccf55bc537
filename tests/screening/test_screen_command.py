"""jingshen screen: the CLI contract, reproducibility, scope and errors."""

import json

import pytest

from jingshen.cli import main
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.screening.models import Flag, ScreeningRun
from tests.ledger.conftest import write
from tests.screening.conftest import entry

KEYS = {"rule", "rule_name", "category", "severity", "score", "org", "fiscal_year", "period", "voucher_type",
        "voucher_no", "line_no", "amount", "message", "basis"}


@pytest.fixture
def books(tree, tmp_path):
    rows = entry(1, "2025-01-20", "50104", "102", "18000.00", "购物卡") + entry(2, "2025-06-07", "50102", "101", "1300.00", "周末现金")
    rows += entry(1, "2025-01-20", "50104", "101", "2000.00", "慰问金", org="B1X")
    import_vouchers(write(tmp_path / "v.csv", rows))


def test_output_is_json_lines_with_the_contract_keys(books, tmp_path, capsys):
    out = tmp_path / "疑点.jsonl"
    assert main(["screen", "--year", "2025", "--output", str(out)]) == 0
    assert "筛查完成：2 个单位" in capsys.readouterr().out
    flags = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert flags and all(set(f) == KEYS for f in flags)
    card = next(f for f in flags if f["rule"] == "JS-CARD-001")
    assert card["org"] == "A1X" and card["voucher_type"] == "记" and card["voucher_no"] == 1 and card["line_no"] == 1
    assert card["amount"] == "18000.00" and card["severity"] == "高"
    weekend = next(f for f in flags if f["rule"] == "JS-TIME-001")
    assert weekend["line_no"] is None and weekend["voucher_no"] == 2


def test_same_rules_same_data_same_flags(books):
    def signature(run):
        return [(f.rule, f.org.code, f.period, f.voucher_no, f.line_no, f.amount, f.message) for f in run.flags.order_by("id")]

    from jingshen.screening.services import run_screening

    assert signature(run_screening(year=2025)) == signature(run_screening(year=2025))


def test_org_and_rules_options(books, tree, capsys):
    assert main(["screen", "--year", "2025", "--org", "B", "--rules", "JS-CASH-001"]) == 0
    run = ScreeningRun.objects.latest("id")
    assert set(run.flags.values_list("org__code", flat=True)) == {"B1X"}
    assert [r["code"] for r in run.rules] == ["JS-CASH-001"] and run.rules[0]["params"] == {"threshold": 1000}


@pytest.mark.parametrize("args,message", [
    (["--year", "2024"], "都没有 2024 年的凭证数据"),
    (["--year", "2025", "--rules", "JS-NOPE-001"], "未知的规则：JS-NOPE-001"),
    (["--year", "2025", "--org", "ZZ"], "单位编码「ZZ」不存在"),
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
