"""疑点筛查 pages: start a run in the background, the ranking and flag list within scope,
a flag with its voucher, and the rule catalogue."""

import re

import pytest

from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.screening.models import ScreeningRun
from jingshen.screening.rules import load_rules
from tests.ledger.conftest import write
from tests.screening.conftest import entry


@pytest.fixture
def books(tree, tmp_path):
    rows = entry(1, "2025-01-20", "50104", "102", "18000.00", "购买慰问购物卡", "银泰百货")
    rows += entry(2, "2025-02-11", "50104", "101", "2600.00", "发放慰问金")
    rows += entry(1, "2025-01-20", "50104", "102", "9000.00", "购买超市卡", org="B1X")
    import_vouchers(write(tmp_path / "v.csv", rows))


def test_start_a_run_and_read_the_results(books, client_for):
    client = client_for("prov_director")
    response = client.post("/screening/", {"year": "2025", "org": "P"})
    run = ScreeningRun.objects.get()
    assert response["Location"] == f"/screening/runs/{run.pk}/"
    assert run.status == "done" and run.flag_count >= 3
    html = client.get(f"/screening/runs/{run.pk}/").content.decode()
    assert "甲市一区电子公司工会委员会" in html and "乙市一区医院工会委员会" in html
    assert 'id="ranking-data"' in html and "echarts.min.js" in html
    filtered = client.get(f"/screening/runs/{run.pk}/?rule=JS-CASH-001").content.decode()
    assert "2,600.00" in filtered and "18,000.00" not in filtered
    assert "18,000.00" in client.get(f"/screening/runs/{run.pk}/?amount_min=10000").content.decode()


def test_a_city_user_sees_only_its_branch_of_a_province_run(books, client_for):
    client_for("prov_director").post("/screening/", {"year": "2025", "org": "P"})
    run = ScreeningRun.objects.get()
    html = client_for("b_auditor").get(f"/screening/runs/{run.pk}/").content.decode()
    assert "乙市一区医院工会委员会" in html and "甲市一区电子公司工会委员会" not in html
    foreign = run.flags.filter(org__code="A1X").first()
    assert client_for("b_auditor").get(f"/screening/flags/{foreign.pk}/").status_code == 404


def test_flag_page_shows_the_voucher_and_basis(books, client_for):
    client_for("a_auditor").post("/screening/", {"year": "2025", "org": "A"})
    flag = ScreeningRun.objects.get().flags.get(rule="JS-CARD-001")
    html = client_for("a_auditor").get(f"/screening/flags/{flag.pk}/").content.decode()
    assert "购买慰问购物卡" in html and "基层工会经费收支管理办法" in html
    assert f"/books/{flag.dataset_id}/voucher/1/" in html


def test_roles_that_may_not_screen(books, client_for):
    assert client_for("leader").post("/screening/", {"year": "2025"}).status_code == 404
    assert "开始筛查" not in client_for("contact").get("/screening/").content.decode()
    assert not ScreeningRun.objects.exists()


def test_no_data_is_explained(tree, client_for):
    response = client_for("a_auditor").post("/screening/", {"year": "2030", "org": "A"}, follow=True)
    assert "都没有 2030 年的凭证数据" in response.content.decode()


def test_rule_catalogue_lists_every_rule(client_for):
    html = client_for("a_auditor").get("/screening/rules/").content.decode()
    for code, rule in load_rules().items():
        assert code in html and rule.name in html
    assert "默认值来源" in html


def test_the_audited_units_contact_does_not_see_flags(books, client_for):
    client_for("a_auditor").post("/screening/", {"year": "2025", "org": "A"})
    run = ScreeningRun.objects.get()
    contact = client_for("contact")
    assert contact.get(f"/screening/runs/{run.pk}/").status_code == 404
    flag = run.flags.filter(org__code="A1X").first()
    assert contact.get(f"/screening/flags/{flag.pk}/").status_code == 404


def test_a_province_sets_a_cap_for_its_units_and_runs_use_it(books, client_for, personas):
    from jingshen.screening.models import ParamOverride

    director = client_for("prov_director")
    response = director.post("/screening/rules/params/", {"rule": "JS-CASH-001", "param": "threshold", "value": "3,000", "note": "本省规定"})
    assert response.status_code == 302
    assert ParamOverride.objects.get().value == 3000
    html = client_for("a_auditor").get("/screening/rules/").content.decode()
    assert "示范省总工会设置：本省规定" in html  # a city sees the province's value and where it comes from
    # the 2,600 cash payment is under the province's 3,000 threshold now
    client_for("a_auditor").post("/screening/", {"year": "2025", "org": "A"})
    run = ScreeningRun.objects.get()
    assert not run.flags.filter(rule="JS-CASH-001").exists()
    assert run.rules[[r["code"] for r in run.rules].index("JS-CASH-001")]["groups"][0]["params"]["threshold"] == 3000
    html = client_for("a_auditor").get(f"/screening/runs/{run.pk}/").content.decode()
    method = html.split('<details class="method">')[1].split("</details>")[0]  # how the run was done
    cash = method.split("JS-CASH-001")[2].split("</tr>")[0]
    assert "现金结算起点（元）：" in cash and '<td class="num">1</td>' in cash  # one unit used its own setting
    # an auditor reads the settings but may not change them
    assert client_for("a_auditor").post("/screening/rules/params/", {"rule": "JS-CASH-001", "param": "threshold", "value": "1"}).status_code == 404


def test_bad_values_and_presets(books, client_for):
    from jingshen.screening.models import ParamOverride

    director = client_for("prov_director")
    response = director.post("/screening/rules/params/", {"rule": "JS-CASH-001", "param": "threshold", "value": "abc"}, follow=True)
    assert "参数「现金结算起点（元）」应为数字。" in response.content.decode()
    response = director.post("/screening/rules/params/", {"rule": "JS-CASH-001", "param": "threshold", "value": "-5"}, follow=True)
    assert "应在 0～1000000 之间" in response.content.decode()
    for hostile in ("NaN", "inf", "-Infinity", "1e400", "9" * 30):
        response = director.post("/screening/rules/params/", {"rule": "JS-CASH-001", "param": "threshold", "value": hostile}, follow=True)
        assert response.status_code == 200 and "现金结算起点（元）」应为" in response.content.decode(), hostile
    assert not ParamOverride.objects.exists()
    response = director.post("/screening/rules/params/", {"rule": "JS-CARD-001", "param": "pattern", "value": "(购物卡|礼品卡"})
    assert response["Location"] == "/screening/rules/"  # not the rule's anchor, below the message
    response = director.get(response["Location"])
    assert "参数「禁止卡券的字样（正则表达式）」的值“(购物卡|礼品卡”不是有效的正则表达式" in response.content.decode()
    assert not ParamOverride.objects.exists()
    director.post("/screening/rules/params/", {"preset": "fujian-2018"})
    values = {(o.rule, o.param): o.value for o in ParamOverride.objects.all()}
    assert values[("JS-FEST-001", "cap")] == 1300 and values[("JS-GIFT-001", "cap")] == 300
    assert values[("JS-GIFT-002", "cap_hospital")] == 500 and ("JS-GIFT-002", "cap_marriage") not in values


def test_units_with_different_settings_are_screened_with_their_own(tree, tmp_path, personas):
    from jingshen.screening import services
    from jingshen.screening.services import run_screening
    from tests.conftest import make_user
    from jingshen.accounts.models import RoleCode

    rows = entry(1, "2025-03-02", "50104", "101", "2000.00", "慰问金") + entry(1, "2025-03-02", "50104", "101", "2000.00", "慰问金", org="B1X")
    import_vouchers(write(tmp_path / "v.csv", rows))
    services.set_param(make_user("B", "b_director", RoleCode.DIRECTOR), "JS-CASH-001", "threshold", 5000)
    run = run_screening(year=2025, rule_codes=["JS-CASH-001"])
    assert list(run.flags.values_list("org__code", flat=True)) == ["A1X"]
    assert len(run.rules[0]["groups"]) == 2


def test_a_run_of_chosen_rules_only(books, client_for):
    client = client_for("prov_director")
    assert 'name="rules" value="JS-CARD-001" checked' in client.get("/screening/").content.decode()
    client.post("/screening/", {"year": "2025", "org": "P", "choosing_rules": "1", "rules": ["JS-CARD-001"]})
    run = ScreeningRun.objects.get()
    assert [r["code"] for r in run.rules] == ["JS-CARD-001"]
    assert set(run.flags.values_list("rule", flat=True)) == {"JS-CARD-001"}
    response = client.post("/screening/", {"year": "2025", "org": "P", "choosing_rules": "1"}, follow=True)
    assert "请至少选择一条规则" in response.content.decode() and ScreeningRun.objects.count() == 1
    response = client.post("/screening/", {"year": "2025", "org": "P", "choosing_rules": "1", "rules": ["JS-NOPE-001"]}, follow=True)
    assert "未知的规则：JS-NOPE-001。" in response.content.decode() and ScreeningRun.objects.count() == 1


def test_every_rule_ticked_runs_the_custom_rules_of_the_chosen_scope_too(books, client_for):
    """A province director screening unit A's subtree with every box ticked also runs A's own
    custom rule, which the province's list does not offer."""
    from jingshen.accounts.models import RoleCode
    from jingshen.screening import services
    from tests.conftest import make_user

    sql = ("SELECT org, fiscal_year, period, voucher_type, voucher_no, line_no, amount FROM lines "
           "WHERE summary LIKE '%慰问%' AND debit > 0")
    services.save_custom_rule(make_user("A", "a_director_custom", RoleCode.DIRECTOR), None, name="慰问支出", category="财务",
                level="line", severity="低", weight="0.2", description="", explanation="慰问", basis="", sql=sql,
                enabled=True)
    client = client_for("prov_director")
    page = client.get("/screening/").content.decode()
    offered = re.findall(r'name="rules" value="([^"]+)" checked', page)
    assert "CU-A-001" not in offered
    client.post("/screening/", {"year": "2025", "org": "A", "choosing_rules": "1", "rules": offered})
    run = ScreeningRun.objects.get()
    assert "CU-A-001" in [r["code"] for r in run.rules]


def test_the_filtered_flag_list_exports_to_xlsx(books, client_for):
    from io import BytesIO

    from openpyxl import load_workbook

    client_for("prov_director").post("/screening/", {"year": "2025", "org": "P"})
    run = ScreeningRun.objects.get()
    response = client_for("b_auditor").get(f"/screening/runs/{run.pk}/?format=xlsx&severity=高")
    assert response.status_code == 200 and "flags-" in response["Content-Disposition"]
    ws = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == "筛选条件：风险等级：高"
    header, data = rows[2], rows[3:]
    assert header[:4] == ("凭证风险分", "规则风险分", "风险等级", "规则编号") and "疑点说明" in header
    expected = run.flags.filter(org__code="B1X", severity="高")  # the city user's branch only
    assert len(data) == expected.count() > 0
    assert {r[6] for r in data} == {"B1X"} and {r[2] for r in data} == {"高"}
    assert any(r[12] == 9000 and "超市卡" in r[13] for r in data)
    assert all((r[0] is None) == (r[10] is None) for r in data)  # a voucher's score on every voucher flag
    from jingshen.activity.models import ActivityLog

    taken = ActivityLog.objects.get(action="download")
    assert taken.summary == f"下载疑点清单「疑点清单-筛查{run.pk}.xlsx」" and taken.details["filters"] == {"severity": "高"}
    assert client_for("contact").get(f"/screening/runs/{run.pk}/?format=xlsx").status_code == 404  # no flags for auditees
    response = client_for("b_auditor").get(f"/screening/runs/{run.pk}/?format=xlsx&amount_min=abc", follow=True)
    assert response.redirect_chain[-1][0] == f"/screening/runs/{run.pk}/?amount_min=abc"  # the page, not a file
    assert response.content.decode().count("金额不低于“abc”无效：输入一个数字。已忽略该条件。") == 1
