"""Charts of accounts with roles, and balance imports with their roll-forward checks."""

import duckdb
import pytest

from jingshen.cli import main
from jingshen.ledger import store
from jingshen.ledger.charts import chart_table, confirm_roles, default_chart, effective_accounts, unconfirmed_roles
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


# A unit's own chart as finance software exports it: no 科目角色 column (issue 13: 会议费 took its
# parent 业务支出's role), with codes of its own (a standalone chart) …
OWN_CHART = [["1001", "库存现金", "资产", "借", ""], ["1002", "银行存款", "资产", "借", ""],
             ["5301", "业务支出", "支出", "借", ""], ["530101", "培训费", "支出", "借", "5301"],
             ["530102", "会议费", "支出", "借", "5301"], ["530109", "会务费", "支出", "借", "5301"],
             ["530110", "宣传费", "支出", "借", "5301"], ["53010201", "代表住宿", "支出", "借", "530102"]]
# … or restating the 2010 chart's accounts, with one of its own
STANDARD_CODES = [["503", "业务支出", "支出", "借", ""], ["50302", "会议费", "支出", "借", "503"],
                  ["50309", "会务费", "支出", "借", "503"], ["5030201", "代表住宿", "支出", "借", "50302"]]


def test_a_leafs_own_name_beats_a_generic_parent_role(tree, tmp_path):
    path = write_csv(tmp_path / "科目.csv", OWN_CHART, header=CHART_HEADER)
    assert main(["import", "accounts", str(path), "--org", "B1X", "--standalone"]) == 0
    got = {a.code: (a.role, a.role_status) for a in Chart.objects.get(org__code="B1X").accounts.all()}
    assert got["5301"] == ("expense-business", RoleStatus.SUGGESTED)
    assert got["530102"] == ("expense-meeting", RoleStatus.SUGGESTED)  # not 5301's expense-business
    assert got["530109"] == ("expense-meeting", RoleStatus.SUGGESTED)
    assert got["530101"] == ("expense-training", RoleStatus.SUGGESTED)
    assert got["530110"] == ("expense-business", RoleStatus.INHERITED)  # the name says nothing more
    assert got["53010201"] == ("expense-meeting", RoleStatus.INHERITED)  # a specific parent's role is kept
    # the 2010 codes, with and without the default chart underneath: the standard accounts keep
    # the standard roles, and a leaf of the unit's own under 503 业务支出 is read by its name
    path = write_csv(tmp_path / "标准科目.csv", STANDARD_CODES, header=CHART_HEADER)
    for args in (["--org", "A1X"], ["--org", "A2", "--standalone"]):
        assert main(["import", "accounts", str(path), *args]) == 0
        accounts = effective_accounts(tree[args[1]])
        assert (accounts["50302"]["role"], accounts["50302"]["role_status"]) == ("expense-meeting", RoleStatus.BUILTIN)
        assert accounts["50302"]["role_confirmed"] and accounts["50302"]["own"]
        assert (accounts["50309"]["role"], accounts["50309"]["role_confirmed"]) == ("expense-meeting", False)
        assert accounts["5030201"]["role_confirmed"]  # inherited from a standard role


def test_a_confirmed_role_is_not_overridden_by_a_name(tree, tmp_path):
    path = write_csv(tmp_path / "科目.csv", OWN_CHART, header=CHART_HEADER)
    main(["import", "accounts", str(path), "--org", "B1X", "--standalone"])
    assert confirm_roles(tree["B1X"], {"530109": "expense-business", "5301": "expense-business"}) == 2
    main(["import", "accounts", str(path), "--org", "B1X", "--standalone"])  # a re-import
    accounts = effective_accounts(tree["B1X"])
    assert (accounts["530109"]["role"], accounts["530109"]["role_status"]) == ("expense-business", RoleStatus.CONFIRMED)
    assert accounts["530109"]["role_confirmed"]
    assert accounts["530102"]["role"] == "expense-meeting"  # its parent's confirmed role is still generic


def test_unconfirmed_roles_lists_the_guesses_per_unit(tree, tmp_path):
    path = write_csv(tmp_path / "科目.csv", OWN_CHART, header=CHART_HEADER)
    main(["import", "accounts", str(path), "--org", "B1X", "--standalone"])
    orgs = [tree["A1X"], tree["B1X"]]
    found = unconfirmed_roles(orgs)
    assert set(found) == {"B1X"}  # the default chart's roles are settled
    assert found["B1X"] == [  # detail accounts only: 5301 and 530102 have children
        ("1001", "库存现金", "cash"), ("1002", "银行存款", "bank"), ("530101", "培训费", "expense-training"),
        ("53010201", "代表住宿", "expense-meeting"),  # inherited from a guess
        ("530109", "会务费", "expense-meeting"), ("530110", "宣传费", "expense-business"),
    ]
    assert unconfirmed_roles(orgs, roles={"expense-meeting"})["B1X"] == [
        ("53010201", "代表住宿", "expense-meeting"), ("530109", "会务费", "expense-meeting")]
    confirm_roles(tree["B1X"], {"530102": "expense-meeting"})
    assert [c for c, *_ in unconfirmed_roles(orgs, roles={"expense-meeting"})["B1X"]] == ["530109"]
    table = chart_table(orgs).to_pylist()
    row = next(r for r in table if r["org"] == "B1X" and r["code"] == "53010201")
    assert row["role"] == "expense-meeting" and row["role_confirmed"] is True  # its parent is confirmed now
    assert all(r["role_confirmed"] for r in table if r["org"] == "A1X")


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
