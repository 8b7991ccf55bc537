"""重点资金: funds defined per unit (built-in ones for all), vouchers tagged by hand, and the trace
of one fund through a year from the upper unit's allocation to the final payees (trace.py)."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jingshen.activity.models import ActivityLog
from jingshen.finance import services
from jingshen.finance.models import Budget, BudgetLine, FundVoucher, KeyFund
from jingshen.finance.trace import trace
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from tests.finance.charts import chart_data
from tests.finance.test_cross_level import v
from tests.ledger.conftest import write

D = Decimal


def books_2021(tmp_path):
    rows = []
    # the city (A) passes 送温暖 money down: 10,000 to 一区 (A1) by name, 3,000 to 二区 (A2) by code,
    # 500 to a name that is no unit; and 2,000 专项 money to A1 that is another fund
    rows += v("A", 1, 1, [("拨付一区送温暖补助", "506", "补助下级支出", "10000.00", "", "甲市一区总工会"),
                          ("拨付一区送温暖补助", "102", "银行存款", "", "10000.00", "")])
    rows += v("A", 2, 1, [("拨付二区送温暖补助", "506", "补助下级支出", "3000.00", "", "A2"),
                          ("拨付二区送温暖补助", "102", "银行存款", "", "3000.00", "")])
    rows += v("A", 3, 1, [("拨付送温暖补助", "506", "补助下级支出", "500.00", "", "某某公司工会"),
                          ("拨付", "102", "银行存款", "", "500.00", "")])
    rows += v("A", 4, 2, [("拨付一区职工之家专项补助", "506", "补助下级支出", "2000.00", "", "甲市一区总工会"),
                          ("拨付", "102", "银行存款", "", "2000.00", "")])
    rows += v("A", 5, 12, [("结转支出", "331", "结余", "15500.00", "", ""), ("结转支出", "506", "补助下级支出", "", "15500.00", "")])
    # 一区 receives 9,000 of the 10,000, pays two members, buys goods on 文体活动费 with the fund's
    # word in the 摘要 (outside the purpose accounts), and passes 2,000 down to its grassroots union
    rows += v("A1", 1, 1, [("收市总送温暖补助", "102", "银行存款", "9000.00", "", ""),
                           ("收市总送温暖补助", "40305", "送温暖补助", "", "9000.00", "甲市总工会")])
    rows += v("A1", 2, 1, [("春节慰问困难职工", "50205", "送温暖费", "3000.00", "", "张三"),
                           ("春节慰问困难职工", "50205", "送温暖费", "2000.00", "", "李四"),
                           ("春节慰问", "102", "银行存款", "", "5000.00", "")])
    rows += v("A1", 3, 2, [("送温暖活动购慰问品", "50102", "文体活动费", "1500.00", "", "某超市"),
                           ("购慰问品", "102", "银行存款", "", "1500.00", "")])
    rows += v("A1", 4, 2, [("职工篮球赛", "50102", "文体活动费", "800.00", "", "体育馆"),
                           ("职工篮球赛", "102", "银行存款", "", "800.00", "")])
    rows += v("A1", 5, 2, [("转拨送温暖资金", "506", "补助下级支出", "2000.00", "", "甲市一区电子公司工会委员会"),
                           ("转拨", "102", "银行存款", "", "2000.00", "")])
    rows += v("A1", 6, 12, [("结转收入", "40305", "送温暖补助", "9000.00", "", ""), ("结转收入", "331", "结余", "", "9000.00", ""),
                            ("结转支出", "331", "结余", "11300.00", "", ""), ("结转支出", "50205", "送温暖费", "", "5000.00", ""),
                            ("结转支出", "50102", "文体活动费", "", "2300.00", ""), ("结转支出", "506", "补助下级支出", "", "4000.00", "")])
    # the grassroots union receives the 2,000 and pays 张三 again
    rows += v("A1X", 1, 2, [("收到区总送温暖资金", "102", "银行存款", "2000.00", "", ""),
                            ("收到区总送温暖资金", "40305", "送温暖补助", "", "2000.00", "甲市一区总工会")])
    rows += v("A1X", 2, 2, [("春节慰问", "50205", "送温暖费", "1800.00", "", "张三"), ("春节慰问", "102", "银行存款", "", "1800.00", "")])
    # 二区 receives its 3,000, pays 王五, and buys gifts that an auditor tags by hand
    rows += v("A2", 1, 1, [("收送温暖补助", "102", "银行存款", "3000.00", "", ""),
                           ("收送温暖补助", "40305", "送温暖补助", "", "3000.00", "甲市总工会")])
    rows += v("A2", 2, 1, [("春节慰问", "50205", "送温暖费", "1000.00", "", "王五"), ("春节慰问", "102", "银行存款", "", "1000.00", "")])
    rows += v("A2", 3, 1, [("春节慰问品", "50102", "文体活动费", "500.00", "", "某商场"), ("购物", "102", "银行存款", "", "500.00", "")])
    import_vouchers(write(tmp_path / "凭证.csv", rows))


def budget_a2():
    budget = Budget.objects.create(org_id=_pk("A2"), fiscal_year=2021, version=1, source_name="预算.csv", source_hash="0" * 64)
    for row, (code, name, amount, note) in enumerate([("403", "上级补助收入", "3000", ""), ("40305", "送温暖补助", "3000", ""),
                                                       ("502", "维权支出", "3000", ""), ("50205", "送温暖费", "3000", ""),
                                                       ("50102", "文体活动费", "200", "送温暖慰问品")], start=2):
        BudgetLine.objects.create(budget=budget, row=row, kind="account", code=code, name=name, amount=D(amount), note=note)


def _pk(code):
    from jingshen.orgs.models import Org

    return Org.objects.get(code=code).pk


def warmth():
    return KeyFund.objects.get(org=None, name="送温暖")


def tag_gifts(actor):
    dataset = Dataset.objects.get(org__code="A2", fiscal_year=2021)
    return services.tag_voucher(actor, fund=warmth(), dataset=dataset, period=1, voucher_type="记", voucher_no=3, note="慰问品")


def test_the_built_in_funds_are_there(db):
    assert set(KeyFund.objects.filter(org=None).values_list("name", flat=True)) == {
        "产改资金", "职工技能提升", "送温暖", "困难职工帮扶", "新就业形态劳动者服务"}


def test_trace_follows_the_fund_down_to_the_payees(tmp_path, tree, personas):
    books_2021(tmp_path)
    budget_a2()
    tag_gifts(personas["a_auditor"])
    result = trace(personas["prov_director"], warmth(), tree["A"], 2021)
    hops = {h.org.code: h for h in result.hops}
    a, a1, a1x, a2 = hops["A"], hops["A1"], hops["A1X"], hops["A2"]
    # the city passed 13,500 down (the 专项 money and the year-end closing are not the fund's)
    assert (a.passed_down, a.received, a.spent, a.allocated) == (D("13500.00"), D("0.00"), D("0.00"), None)
    # 一区: 10,000 allocated, 9,000 booked; 2,000 passed on; 6,500 spent, 1,500 of it off the purpose accounts
    assert (a1.allocated, a1.received, a1.difference) == (D("10000.00"), D("9000.00"), D("1000.00"))
    assert (a1.passed_down, a1.spent, a1.unspent) == (D("2000.00"), D("6500.00"), D("500.00"))
    assert [(p.account_code, p.counterparty, p.amount, p.how) for p in a1.outside] == [("50102", "某超市", D("1500.00"), "关键词")]
    assert [(p.name, p.amount) for p in a1.top_payees()] == [("张三", D("3000.00")), ("李四", D("2000.00")), ("某超市", D("1500.00"))]
    assert (a1x.allocated, a1x.received, a1x.difference, a1x.spent) == (D("2000.00"), D("2000.00"), D("0.00"), D("1800.00"))
    # 二区: the tagged voucher counts, and is off the purpose accounts; its budget lines of the fund
    # (送温暖补助, 送温暖费, and 文体活动费 by its 说明) are counted once, not again under 403/502
    assert (a2.allocated, a2.received, a2.spent) == (D("3000.00"), D("3000.00"), D("1500.00"))
    assert [(p.account_code, p.amount, p.how) for p in a2.outside] == [("50102", D("500.00"), "标记")]
    assert (a2.budget_version, a2.budget_income, a2.budget_expense) == (1, D("3000.00"), D("3200.00"))
    assert a1.budget_version is None and result.totals["budget_income"] == D("3000.00")
    # 张三 is paid the fund's money by two units; the name that is no unit is listed
    assert [(r.name, [(o.code, amt) for o, amt, _ in r.units]) for r in result.recurring] == [
        ("张三", [("A1", D("3000.00")), ("A1X", D("1800.00"))])]
    assert [(u.org.code, u.text, u.amount) for u in result.unnamed] == [("A", "某某公司工会", D("500.00"))]
    assert result.totals["received"] == D("14000.00") and result.totals["spent"] == D("9800.00")


def test_a_fund_without_purpose_accounts_reports_no_misuse(tmp_path, tree, personas):
    books_2021(tmp_path)
    fund = services.save_fund(personas["prov_director"], org=tree["P"], name="慰问资金", keywords=["慰问"])
    result = trace(personas["prov_director"], fund, tree["A"], 2021)
    hops = {h.org.code: h for h in result.hops}
    assert hops["A1"].spent == D("6500.00") and result.outside == []  # no purpose accounts: nothing is "outside"


def test_the_trace_stays_in_scope(tmp_path, tree, personas):
    books_2021(tmp_path)
    result = trace(personas["a1_auditor"], warmth(), tree["A1"], 2021)
    assert [h.org.code for h in result.hops] == ["A1", "A1X"]
    assert result.hops[0].allocated is None  # the city is above the trace


def test_the_page(client_for, tmp_path, tree, personas):
    books_2021(tmp_path)
    client = client_for("a_auditor")
    page = client.get(f"/finance/funds/trace/?fund={warmth().pk}&org=A&year=2021").content.decode()
    assert "甲市一区总工会" in page and "1,000.00" in page and "某超市" in page and "张三" in page
    assert "某某公司工会" in page and 'id="trace-data"' in page
    assert "用途科目以外的支出（1）" in page and "在多个单位出现的收款人（1）" in page
    chart = chart_data(page, "trace-data")
    assert chart["categories"][:2] == ["甲市一区总工会", "甲市总工会"] and [s["name"] for s in chart["series"]] == ["收到", "下拨", "支出", "结余"]
    foreign = client_for("b_auditor").get(f"/finance/funds/trace/?fund={warmth().pk}&org=A&year=2021").content.decode()
    assert "不存在或不在您的查看范围内" in foreign and "某超市" not in foreign
    funds = client.get("/finance/funds/").content.decode()
    assert "送温暖" in funds and "内置（全部单位）" in funds and "新增重点资金" not in funds  # an auditor configures nothing


def test_hostile_query_parameters(client_for, tmp_path, tree):
    books_2021(tmp_path)
    client = client_for("a_auditor")
    for query in ("fund=abc&year=2021", "fund=999999&org=A", "org=%27%3B--&year=2021", "year=99999", "fund=-1"):
        response = client.get(f"/finance/funds/trace/?{query}")
        assert response.status_code == 200, query


def test_the_command(tmp_path, tree, personas):
    books_2021(tmp_path)
    out = StringIO()
    call_command("trace", "送温暖", "--year", "2021", "--org", "A", "--json", stdout=out)
    data = json.loads(out.getvalue())
    units = {u["code"]: u for u in data["units"]}
    assert units["A1"]["allocated"] == "10000.00" and units["A1"]["difference"] == "1000.00"
    assert data["recurring_payees"][0]["name"] == "张三" and data["totals"]["passed_down"] == "15500.00"
    text = StringIO()
    call_command("trace", "送温暖", "--year", "2021", "--org", "A1", "--by", "a1_auditor", stdout=text)
    assert "甲市一区电子公司工会委员会" in text.getvalue() and "甲市二区总工会" not in text.getvalue()
    with pytest.raises(CommandError, match="不存在或不在查看范围内"):
        call_command("trace", "送温暖", "--year", "2021", "--org", "B", "--by", "a1_auditor")
    with pytest.raises(CommandError, match="没有适用于"):
        call_command("trace", "无此资金", "--year", "2021")


def test_define_a_fund(client_for, tree, personas):
    client = client_for("prov_director")
    response = client.post("/finance/funds/new/", {"org": "P", "name": "产改专项（省）", "roles": ["expense-training"],
                                                   "accounts": "50301、50304", "keywords": "产改 产业工人", "active": "on"})
    assert response.status_code == 302
    fund = KeyFund.objects.get(name="产改专项（省）")
    assert (fund.org.code, fund.roles, fund.accounts, fund.keywords) == ("P", ["expense-training"], ["50301", "50304"], ["产改", "产业工人"])
    assert ActivityLog.objects.filter(action="finance.fund_create", object_id=str(fund.pk)).exists()
    # read below, edited only where configured; built-in funds are never edited
    assert "产改专项（省）" in client_for("a_auditor").get("/finance/funds/").content.decode()
    read_only = client_for("a_auditor").get(f"/finance/funds/{fund.pk}/").content.decode()
    assert "该资金由示范省总工会设置" in read_only and "保存" not in read_only
    assert client_for("a_auditor").post(f"/finance/funds/{fund.pk}/", {"name": "改名", "keywords": "x"}).status_code == 404
    assert "内置资金适用于所有单位，不能修改" in client.get(f"/finance/funds/{warmth().pk}/").content.decode()
    assert client.post(f"/finance/funds/{warmth().pk}/", {"name": "改名", "keywords": "x"}).status_code == 404
    assert KeyFund.objects.filter(name="改名").count() == 0
    response = client.post(f"/finance/funds/{fund.pk}/", {"name": "产改专项", "keywords": "产改", "active": "on"})
    assert response.status_code == 302
    fund.refresh_from_db()
    assert (fund.name, fund.roles, fund.accounts, fund.keywords) == ("产改专项", [], [], ["产改"])


@pytest.mark.parametrize("data, message", [
    ({"name": "空资金"}, "请至少指定一个"),
    ({"name": "长词", "keywords": "这个关键词实在是太长了超过了二十个字的上限还要更长"}, "关键词每个 1 至 20 个字"),
    ({"name": "坏编码", "accounts": "50205;DROP TABLE"}, "科目编码只能由数字和点组成"),
    ({"name": "坏角色", "roles": ["no-such-role"]}, "不存在"),
    ({"name": "送温暖", "keywords": "送温暖"}, "已有名为「送温暖」的重点资金"),
    ({"name": "<script>alert(1)</script>", "keywords": "<b>"}, None),
])
def test_bad_fund_input(client_for, tree, data, message):
    response = client_for("prov_director").post("/finance/funds/new/", {"org": "P", **data} if "org" not in data else data)
    if message is None:  # markup is kept as text and shown escaped
        assert response.status_code == 302
        listed = client_for("prov_director").get("/finance/funds/").content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed and "<script>alert(1)" not in listed
        return
    assert response.status_code == 200 and message in response.content.decode()
    assert not KeyFund.objects.filter(name=data["name"], org__isnull=False).exists()


def test_a_fund_for_a_unit_outside_the_scope_is_404(client_for, tree):
    response = client_for("prov_director").post("/finance/funds/new/", {"org": "A1", "name": "他处", "keywords": "x"})
    assert response.status_code == 404 and not KeyFund.objects.filter(name="他处").exists()


def test_tag_a_voucher_on_the_voucher_page(client_for, tmp_path, tree, personas):
    books_2021(tmp_path)
    dataset = Dataset.objects.get(org__code="A2", fiscal_year=2021)
    url = f"/books/{dataset.pk}/voucher/1/记/3/"
    client = client_for("a_auditor")
    assert 'id="fund-tag-form"' in client.get(url).content.decode()
    response = client.post(f"/finance/funds/tag/{dataset.pk}/1/记/3/", {"fund": warmth().pk, "note": "慰问品"})
    assert response.status_code == 302
    tag = FundVoucher.objects.get()
    assert (tag.org.code, tag.period, tag.voucher_no, tag.note, tag.tagged_by.username) == ("A2", 1, 3, "慰问品", "a_auditor")
    page = client.get(url).content.decode()
    assert "送温暖：慰问品" in page and "取消标记" in page
    assert ActivityLog.objects.filter(action="finance.fund_tag").count() == 1
    # twice, a voucher that does not exist, a foreign auditor
    client.post(f"/finance/funds/tag/{dataset.pk}/1/记/3/", {"fund": warmth().pk})
    assert FundVoucher.objects.count() == 1
    response = client.post(f"/finance/funds/tag/{dataset.pk}/1/记/99/", {"fund": warmth().pk}, follow=True)
    assert "没有凭证 1 期 记-99" in response.content.decode() and FundVoucher.objects.count() == 1
    assert client_for("b_auditor").post(f"/finance/funds/tag/{dataset.pk}/1/记/3/", {"fund": warmth().pk}).status_code == 404
    assert client_for("b_auditor").post(f"/finance/funds/tags/{tag.pk}/delete/").status_code == 404
    # a reader of the unit who does not audit it sees the tag but not the form
    assert 'id="fund-tag-form"' not in client_for("leader").get(url).content.decode()
    response = client.post(f"/finance/funds/tags/{tag.pk}/delete/")
    assert response.status_code == 302 and not FundVoucher.objects.exists()
    assert ActivityLog.objects.filter(action="finance.fund_untag").count() == 1


def test_a_fund_of_another_branch_does_not_apply(tmp_path, tree, personas):
    books_2021(tmp_path)
    other = KeyFund.objects.create(org=tree["B"], name="乙市专项", keywords=["送温暖"])
    dataset = Dataset.objects.get(org__code="A2", fiscal_year=2021)
    with pytest.raises(ValueError, match="不适用于"):
        services.tag_voucher(personas["a_auditor"], fund=other, dataset=dataset, period=1, voucher_type="记", voucher_no=3)


def test_people_come_first_among_recurring_payees():
    from jingshen.finance.trace import is_person

    assert is_person("张三") and is_person("欧阳小明") and is_person("阿依·木拉")
    assert not is_person("杭州彩虹图文快印有限公司") and not is_person("某超市") and not is_person("王府井百货店")
    assert not is_person("Zhang San") and not is_person("")
