"""Charts of accounts with roles, and balance imports with their roll-forward checks."""

import duckdb
import pytest

from jingshen.cli import main
from jingshen.ledger import store
from jingshen.ledger.charts import default_chart, effective_accounts
from jingshen.ledger.models import Account, Chart, Dataset, RoleStatus
from jingshen.ledger.roles import suggest_role
from tests.conftest import write_csv
from tests.ledger.conftest import voucher, write

CHART_HEADER = ["科目编码", "科目名称", "科目类别", "余额方向", "上级科目编码"]


def test_builtin_chart_has_roles_for_every_account(db):
    chart = default_chart()
    assert chart.name == "工会会计制度（2010）" and chart.accounts.count() == 80
    roles = dict(chart.accounts.values_list("code", "role"))
    assert roles["101"] == "cash" and roles["102"] == "bank" and roles["135"] == "other-receivable"
    assert roles["40301"] == "income-upper-subsidy"  # inherited from 403
    assert roles["50205"] == "expense-warmth" and roles["50302"] == "expense-meeting"
    assert all(roles.values()), [c for c, r in roles.items() if not r]
    assert not chart.accounts.get(code="501").is_leaf and chart.accounts.get(code="50101").is_leaf


def test_unit_chart_extends_default_with_inherited_roles(tree, tmp_path, capsys):
    path = write_csv(tmp_path / "科目.csv", [["5010201", "篮球赛", "支出", "借", ""], ["1020101", "工商银行", "资产", "借", "102"]],
                     header=CHART_HEADER)
    assert main(["import", "accounts", str(path), "--org", "A1X"]) == 0
    accounts = effective_accounts(tree["A1X"])
    assert accounts["5010201"]["role"] == "expense-culture-sports" and accounts["5010201"]["parent_code"] == "50102"
    assert accounts["1020101"]["role"] == "bank"
    assert not accounts["50102"]["is_leaf"] and accounts["5010201"]["is_leaf"]
    assert "5010201" not in effective_accounts(tree["B1X"])  # only that unit's chart changed


def test_standalone_chart_suggests_roles_for_confirmation(tree, tmp_path, capsys):
    rows = [["1001", "库存现金", "资产", "借", ""], ["1002", "银行存款", "资产", "借", ""], ["6601", "杂项费用", "支出", "借", ""],
            ["4001", "会费收入", "收入", "贷", ""]]
    path = write_csv(tmp_path / "自有科目.xlsx.csv", rows, header=CHART_HEADER)
    assert main(["import", "accounts", str(path), "--org", "B1X", "--standalone"]) == 0
    assert "其中 3 个科目的角色为系统建议，请在页面上确认" in capsys.readouterr().out
    chart = Chart.objects.get(org__code="B1X")
    got = {a.code: (a.role, a.role_status) for a in chart.accounts.all()}
    assert got["1001"] == ("cash", RoleStatus.SUGGESTED)
    assert got["6601"] == ("", RoleStatus.NONE)  # an account without a role is allowed
    assert set(effective_accounts(tree["B1X"])) == {"1001", "1002", "6601", "4001"}


def test_confirmed_roles_survive_reimport(tree, tmp_path):
    rows = [["1001", "库存现金", "资产", "借", ""]]
    path = write_csv(tmp_path / "c.csv", rows, header=CHART_HEADER)
    main(["import", "accounts", str(path), "--org", "B1X", "--standalone"])
    Account.objects.filter(code="1001").update(role="bank", role_status=RoleStatus.CONFIRMED)
    main(["import", "accounts", str(path), "--org", "B1X", "--standalone"])
    assert Account.objects.get(code="1001").role == "bank"


@pytest.mark.parametrize(
    "rows,fragment",
    [
        ([["101", "库存现金", "资产", "借", ""], ["101", "现金", "资产", "借", ""]], "第 3 行「科目编码」列（值“101”）：科目编码重复，与第 2 行相同。"),
        ([["101", "库存现金", "资产类别", "借", ""]], "第 2 行「科目类别」列（值“资产类别”）：未知的科目类别"),
        ([["101", "库存现金", "资产", "左", ""]], "第 2 行「余额方向」列（值“左”）：余额方向应为“借”或“贷”。"),
        ([["10101", "零钱", "资产", "借", "999"]], "第 2 行「上级科目编码」列（值“999”）：上级科目不存在。"),
    ],
)
def test_bad_chart_files_are_refused(db, tmp_path, capsys, rows, fragment):
    path = write_csv(tmp_path / "坏科目.csv", rows, header=CHART_HEADER)
    assert main(["import", "accounts", str(path)]) == 1
    assert f"文件「坏科目.csv」{fragment}" in capsys.readouterr().err
    assert not Chart.objects.exists()


def test_role_suggestions():
    assert suggest_role("库存现金", "asset") == "cash"
    assert suggest_role("Bank 银行存款-工行", "asset") == "bank"
    assert suggest_role("职工文体活动", "expense") == "expense-culture-sports"
    assert suggest_role("会费", "asset") == ""  # an income word on an asset account is not trusted


BAL_HEADER = ["单位编码", "会计年度", "科目编码", "期初余额", "余额方向", "本期借方", "本期贷方", "期末余额"]


def test_balances_with_roll_forward_and_voucher_checks(tree, tmp_path, capsys):
    # vouchers: 50102 debit 1200, 102 credit 1200
    assert main(["import", "vouchers", str(write(tmp_path / "v.csv", voucher(1)))]) == 0
    rows = [
        ["A1X", "2025", "102", "10,000.00", "借", "0", "1200.00", "8800.00"],  # consistent
        ["A1X", "2025", "50102", "", "平", "1200.00", "0", "1300.00"],          # closing wrong by 100
        ["A1X", "2025", "331", "10000", "贷", "", "", "10000"],                 # credit balance
        ["A1X", "2025", "50205", "0", "借", "50.00", "0", "50.00"],             # no vouchers for it
    ]
    code = main(["import", "balances", str(write(tmp_path / "余额.csv", rows, header=BAL_HEADER))])
    out = capsys.readouterr()
    assert code == 0, out.err
    ds = Dataset.objects.get(kind="balances")
    got = duckdb.sql(f"SELECT account_code, opening::VARCHAR, closing::VARCHAR FROM read_parquet('{store.parquet_path(ds)}')").fetchall()
    assert ("102", "10000.00", "8800.00") in got and ("331", "-10000.00", "-10000.00") in got
    assert ds.quality == {"roll_forward": 1, "voucher_mismatch": 1}
    messages = [m for (m,) in duckdb.sql(f"SELECT message FROM read_parquet('{store.parquet_path(ds, 'quality')}')").fetchall()]
    assert "科目 50102 期初 0.00 + 借方 1200.00 − 贷方 0.00 ≠ 期末 1300.00（相差 -100.00 元）。" in messages


def test_balances_need_opening_columns(tree, tmp_path, capsys):
    path = write(tmp_path / "b.csv", [["A1X", "2025", "102", "1"]], header=["单位编码", "会计年度", "科目编码", "本期借方"])
    assert main(["import", "balances", str(path)]) == 1
    assert "缺少期初余额" in capsys.readouterr().err


def test_balances_year_must_match_the_option(tree, tmp_path, capsys):
    path = write(tmp_path / "b.csv", [["A1X", "2024", "102", "1", "借"]], header=["单位编码", "会计年度", "科目编码", "期初余额", "余额方向"])
    assert main(["import", "balances", str(path), "--year", "2025"]) == 1
    assert "第 2 行「会计年度」列（值“2024”）：与指定的会计年度 2025 不一致。" in capsys.readouterr().err
