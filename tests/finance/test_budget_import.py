"""工会经费收支预算表 import: the published budget of the domain README §6 passes; a copy with one
figure changed is refused naming the line and both figures; carry-forward continuity across
years; versions; bad files and units refused with nothing written."""

import csv

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.finance.models import Budget, BudgetLine, LineKind
from jingshen.finance.services import import_budget
from jingshen.tabular import TableError
from tests.conftest import make_user

HEADER = ["科目编号", "名称", "上年决算数", "本年预算数", "说明"]
# 中国教育工会浙江中医药大学委员会, 2021 budget with 2020 actuals (domain README §6), in 元
PUBLISHED = [
    ["", "上年结转", "2,139,904.21", "1,961,799.80", ""],
    ["", "动用以前年度结余", "178,104.41", "389,260.00", ""],
    ["401", "会费收入", "460,354.83", "465,000.00", ""],
    ["402", "拨缴经费收入", "2,999,216.60", "2,550,240.00", ""],
    ["403", "上级补助收入", "712,200.00", "125,000.00", ""],
    ["40302", "专项补助", "373,200.00", "75,000.00", ""],
    ["40305", "送温暖补助", "39,000.00", "50,000.00", ""],
    ["40306", "救灾补助", "300,000.00", "–", ""],
    ["408", "其他收入", "115,129.64", "115,000.00", ""],
    ["", "本年收入合计", "4,465,005.48", "3,644,500.00", ""],
    ["501", "职工活动支出", "3,766,875.08", "3,259,500.00", ""],
    ["50101", "职工教育费", "–", "20,000.00", ""],
    ["50102", "文体活动费", "1,213,016.58", "946,500.00", ""],
    ["50103", "宣传活动费", "116,100.00", "118,000.00", ""],
    ["50104", "其他活动支出", "2,437,758.50", "2,175,000.00", ""],
    ["502", "维权支出", "141,000.00", "150,000.00", ""],
    ["50204", "困难职工帮扶费", "102,000.00", "100,000.00", ""],
    ["50205", "送温暖费", "39,000.00", "50,000.00", ""],
    ["503", "业务支出", "180,992.40", "235,000.00", ""],
    ["50301", "培训费", "1,247.00", "50,000.00", ""],
    ["50304", "专项业务费", "102,743.90", "105,000.00", ""],
    ["50305", "其他业务支出", "77,001.50", "80,000.00", "含工会干部业务培训"],
]


def write(tmp_path, rows, name="2021年预算.csv", header=HEADER, encoding="utf-8-sig", title=True):
    path = tmp_path / name
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        if title:
            writer.writerow(["工会经费收支预算表（2021年）", "", "", "", ""])
        writer.writerow(header)
        writer.writerows(rows)
    return path


def changed(row_name: str, column: int, value: str, rows=PUBLISHED):
    return [[*r[:column], value, *r[column + 1:]] if r[1] == row_name else r for r in rows]


def refused(tmp_path, rows, tree, **kw) -> str:
    with pytest.raises(TableError) as exc:
        import_budget(write(tmp_path, rows), org=tree["A1X"], year=kw.pop("year", 2021), **kw)
    assert not Budget.objects.exists() and not BudgetLine.objects.exists()
    return exc.value.report()


def test_the_published_budget_is_imported(tmp_path, tree):
    budget = import_budget(write(tmp_path, PUBLISHED), org=tree["A1X"], year=2021)
    assert (budget.fiscal_year, budget.version, budget.lines.count()) == (2021, 1, len(PUBLISHED))
    lines = {(line.kind, line.code): line for line in budget.lines.all()}
    carry = lines[(LineKind.CARRY_FORWARD, "")]
    assert (str(carry.prior_actual), str(carry.amount)) == ("2139904.21", "1961799.80")
    assert lines[(LineKind.ACCOUNT, "40306")].amount is None  # "–": not budgeted
    assert lines[(LineKind.ACCOUNT, "50101")].prior_actual is None
    assert str(lines[(LineKind.INCOME_TOTAL, "")].amount) == "3644500.00"
    assert lines[(LineKind.ACCOUNT, "50305")].note == "含工会干部业务培训"
    entry = ActivityLog.objects.get(action="finance.budget_import")
    assert entry.org == tree["A1X"] and entry.after["版本"] == 1 and entry.after["本年收入合计"] == "3644500.00"


def test_a_detail_line_changed_is_refused_with_both_figures(tmp_path, tree):
    report = refused(tmp_path, changed("专项补助", 2, "373,300.00"), tree)
    # the parent line 403 (row 7: title, header, then rows) against the sum of its details
    assert "第 7 行「上年决算数」列" in report
    assert "「上级补助收入」（403）的上年决算数为 712,200.00" in report and "合计为 712,300.00" in report
    assert "相差 -100.00" in report


def test_an_income_total_that_does_not_add_up_is_refused(tmp_path, tree):
    report = refused(tmp_path, changed("本年收入合计", 3, "3,644,600.00"), tree)
    assert "第 12 行「本年预算数」列" in report
    assert "本年收入合计的本年预算数为 3,644,600.00，各收入科目加动用以前年度结余合计为 3,644,500.00" in report


def test_a_top_income_line_changed_breaks_the_total(tmp_path, tree):
    report = refused(tmp_path, changed("会费收入", 3, "466,000.00"), tree)
    assert "本年收入合计的本年预算数为 3,644,500.00" in report and "3,645,500.00" in report


def test_a_carry_forward_that_does_not_continue_is_refused(tmp_path, tree):
    report = refused(tmp_path, changed("上年结转", 3, "1,961,800.80"), tree)
    assert "第 3 行「本年预算数」列" in report
    assert "上年结转的本年预算数为 1,961,800.80" in report
    assert "上年结转 2,139,904.21 − 动用以前年度结余 178,104.41）应为 1,961,799.80" in report


def test_an_expense_total_counts_the_years_balance(tmp_path, tree):
    # with 本年支出合计 given, a year that did not spend all it had carries the difference forward
    expenses = "4,088,867.48"  # 501 + 502 + 503 of 2020; 504-508 not published
    rows = [*PUBLISHED, ["", "本年支出合计", expenses, "3,644,500.00", ""]]
    report = refused(tmp_path, rows, tree)
    assert "本年支出合计的本年预算数为 3,644,500.00，各支出科目合计为 3,644,500.00" not in report  # that one holds
    assert "上年收支差额 376,138.00" in report  # 4,465,005.48 − 4,088,867.48
    rows = changed("上年结转", 3, "2,337,937.80", rows)  # 1,961,799.80 + 376,138.00
    assert import_budget(write(tmp_path, rows), org=tree["A1X"], year=2021).lines.count() == len(rows)


def test_continuity_with_the_stored_budget_of_the_year_before(tmp_path, tree):
    import_budget(write(tmp_path, PUBLISHED), org=tree["A1X"], year=2021)
    # 2022's 上年决算数 of 上年结转 must be the 1,961,799.80 that 2021's budget carried in
    nxt = [["", "上年结转", "1,961,799.00", "1,961,799.00", ""], ["401", "会费收入", "470,000.00", "480,000.00", ""],
           ["", "本年收入合计", "470,000.00", "480,000.00", ""]]
    with pytest.raises(TableError) as exc:
        import_budget(write(tmp_path, nxt, name="2022.csv"), org=tree["A1X"], year=2022)
    report = exc.value.report()
    assert "上年结转的上年决算数为 1,961,799.00，而已导入的 2021 年预算（第 1 版）上年结转的本年预算数为 1,961,799.80" in report
    assert Budget.objects.count() == 1
    ok = changed("上年结转", 2, "1,961,799.80", nxt)
    ok = changed("上年结转", 3, "1,961,799.80", ok)
    assert import_budget(write(tmp_path, ok, name="2022.csv"), org=tree["A1X"], year=2022).version == 1


def test_a_reimport_is_a_new_version(tmp_path, tree):
    first = import_budget(write(tmp_path, PUBLISHED), org=tree["A1X"], year=2021)
    second = import_budget(write(tmp_path, PUBLISHED), org=tree["A1X"], year=2021)
    assert (first.version, second.version) == (1, 2)
    assert first.lines.count() == second.lines.count() == len(PUBLISHED)


def test_bad_cells_codes_and_rows_are_all_listed(tmp_path, tree):
    rows = [*PUBLISHED[:2], ["401", "会费收入", "四十万", "465,000.00", ""], ["999", "不存在的科目", "1", "1", ""],
            ["101", "库存现金", "1", "1", ""], ["402", "拨缴经费收入", "1.234", "1", ""], ["", "合计外的说明行", "", "", ""],
            ["402", "拨缴经费收入", "1", "1", ""]]
    report = refused(tmp_path, rows, tree)
    assert "第 5 行「上年决算数」列（值“四十万”）：应为金额" in report
    assert "第 6 行「科目编号」列（值“999”）：该科目编号不在本单位的科目表中" in report
    assert "「库存现金」不是收入或支出科目" in report
    assert "第 8 行「上年决算数」列（值“1.234”）：金额最多两位小数" in report
    assert "「合计外的说明行」没有科目编号" in report
    assert "第 10 行「科目编号」列（值“402”）：与第 8 行重复" in report


def test_a_file_without_the_required_columns_is_refused(tmp_path, tree):
    path = write(tmp_path, [r[:3] for r in PUBLISHED], header=HEADER[:3])
    with pytest.raises(TableError) as exc:
        import_budget(path, org=tree["A1X"], year=2021)
    assert "缺少必需列「本年预算数」" in exc.value.report() and not Budget.objects.exists()


def test_an_xlsx_budget_with_an_adjusted_column(tmp_path, tree):
    wb = Workbook()
    ws = wb.active
    ws.append(["科目编号", "名称", "上年决算数", "本年预算数", "调整预算数"])
    ws.append(["401", "会费收入", 460354.83, 465000, 470000])
    ws.append(["", "本年收入合计", 460354.83, 465000, 471000])
    path = tmp_path / "budget.xlsx"
    wb.save(path)
    with pytest.raises(TableError) as exc:
        import_budget(path, org=tree["A1X"], year=2021)
    assert "本年收入合计的调整预算数为 471,000.00，各收入科目合计为 470,000.00" in exc.value.report()
    ws["E3"] = 470000
    wb.save(path)
    budget = import_budget(path, org=tree["A1X"], year=2021)
    assert str(budget.lines.get(code="401").adjusted) == "470000.00"


def test_scope_and_year_are_checked(tmp_path, tree, personas):
    path = write(tmp_path, PUBLISHED)
    with pytest.raises(PermissionError, match="不在您导入数据的范围内"):
        import_budget(path, org=tree["B1X"], year=2021, actor=personas["a_auditor"])
    with pytest.raises(ValueError, match="预算年度应在 1990 年至"):
        import_budget(path, org=tree["A1X"], year=1989)
    assert not Budget.objects.exists()
    budget = import_budget(path, org=tree["A1X"], year=2021, actor=personas["a_auditor"])
    assert budget.imported_by == personas["a_auditor"]


def test_the_command(tmp_path, tree, personas, capsys):
    path = write(tmp_path, PUBLISHED)
    call_command("import_budget", str(path), "--org", "A1X", "--year", "2021")
    assert "导入完成：甲市一区电子公司工会委员会 2021 年预算第 1 版，共 22 行" in capsys.readouterr().out
    with pytest.raises(CommandError, match="单位编码「NOPE」不存在"):
        call_command("import_budget", str(path), "--org", "NOPE", "--year", "2021")
    with pytest.raises(CommandError, match="不在您导入数据的范围内"):
        call_command("import_budget", str(path), "--org", "B1X", "--year", "2021", "--by", "a_auditor")
    bad = write(tmp_path, changed("专项补助", 2, "373,300.00"), name="bad.csv")
    with pytest.raises(CommandError, match="文件被拒绝，系统中的数据未做任何改动。"):
        call_command("import_budget", str(bad), "--org", "A1X", "--year", "2021")
    assert Budget.objects.count() == 1
    make_user("A1X", "a1x_contact", RoleCode.AUDITEE_CONTACT)
    call_command("import_budget", str(path), "--org", "A1X", "--year", "2021", "--by", "a1x_contact")
    assert Budget.objects.get(version=2).imported_by.username == "a1x_contact"
