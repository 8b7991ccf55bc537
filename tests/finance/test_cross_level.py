"""上下级对账: an upper unit's subsidies and payables to each unit below it (by 往来单位, matched
to the unit tree) against that unit's subsidy income and receivables from above, by kind; names
that match no unit, or several, are listed, never guessed."""

import datetime
from decimal import Decimal

from jingshen.accounts.models import RoleCode
from jingshen.orgs.services import OPERATOR, create_grant
from tests.conftest import make_user

from jingshen.finance.crosslevel import cross_level, normalise
from jingshen.ledger.importers.vouchers import import_vouchers
from tests.finance.charts import chart_data
from tests.ledger.conftest import line, write


def v(org, no, period, rows):
    return [line(org=org, year="2021", period=str(period), date=f"2021-{period:02d}-15", no=str(no), line_no=str(i + 1),
                 summary=s, code=code, name=name, debit=d, credit=c, payee=payee)
            for i, (s, code, name, d, c, payee) in enumerate(rows)]


def books_2021(tmp_path):
    rows = []
    # the city (A) gives: to 甲市一区总工会 10,000 for 送温暖 and 2,000 专项; to A2 (by code) 3,000 专项
    rows += v("A", 1, 1, [("拨付一区送温暖补助", "506", "补助下级支出", "10000.00", "", "甲市一区总工会"),
                          ("拨付一区送温暖补助", "102", "银行存款", "", "10000.00", "")])
    rows += v("A", 2, 2, [("拨付一区专项补助", "506", "补助下级支出", "2000.00", "", "甲市一区 总工会"),
                          ("拨付", "102", "银行存款", "", "2000.00", "")])
    rows += v("A", 3, 3, [("拨付二区专项补助", "506", "补助下级支出", "3000.00", "", "A2"),
                          ("拨付", "102", "银行存款", "", "3000.00", "")])
    rows += v("A", 4, 4, [("拨付区工会帮扶款", "506", "补助下级支出", "1000.00", "", "区总工会"),  # two units end so
                          ("拨付", "102", "银行存款", "", "1000.00", "")])
    rows += v("A", 5, 5, [("补助", "506", "补助下级支出", "500.00", "", "某某公司工会"),
                          ("补助", "102", "银行存款", "", "500.00", "")])
    rows += v("A", 6, 6, [("补助", "506", "补助下级支出", "300.00", "", ""), ("补助", "102", "银行存款", "", "300.00", "")])
    rows += v("A", 7, 7, [("应付一区转拨经费", "22202", "应付下级转拨经费", "", "4000.00", "甲市一区总工会"),
                          ("应付", "132", "应收下级经费", "4000.00", "", "")])
    rows += v("A", 12, 12, [("结转支出", "331", "结余", "16800.00", "", ""), ("结转支出", "506", "补助下级支出", "", "16800.00", "")])
    # 一区 (A1) receives 10,000 送温暖 and 1,500 专项 (500 short), and books 4,000 to receive from above
    rows += v("A1", 1, 1, [("收市总送温暖补助", "102", "银行存款", "10000.00", "", ""),
                           ("收市总送温暖补助", "40305", "送温暖补助", "", "10000.00", "甲市总工会")])
    rows += v("A1", 2, 2, [("收市总专项补助", "102", "银行存款", "1500.00", "", ""),
                           ("收市总专项补助", "40302", "专项补助", "", "1500.00", "甲市总工会")])
    rows += v("A1", 3, 7, [("应收市总转拨经费", "131", "应收上级经费", "4000.00", "", "甲市总工会"),
                           ("应收", "40301", "回拨补助", "", "4000.00", "")])
    rows += v("A1", 12, 12, [("结转收入", "403", "上级补助收入", "15500.00", "", ""), ("结转收入", "331", "结余", "", "15500.00", "")])
    # 二区 (A2) received its 3,000 in full
    rows += v("A2", 1, 3, [("收专项补助", "102", "银行存款", "3000.00", "", ""), ("收专项补助", "40302", "专项补助", "", "3000.00", "")])
    import_vouchers(write(tmp_path / "凭证.csv", rows))


def test_cross_level_reconciliation(tmp_path, tree, personas):
    books_2021(tmp_path)
    result = cross_level(personas["prov_director"], tree["A"], 2021)
    pairs = {p.org.code: p for p in result.pairs}
    a1, a2 = pairs["A1"], pairs["A2"]
    assert (a1.given, a1.received, a1.difference) == (Decimal("12000.00"), Decimal("15500.00"), Decimal("-3500.00"))
    assert a1.kinds() == [("专项", Decimal("2000.00"), Decimal("1500.00")), ("回拨", Decimal("0.00"), Decimal("4000.00")),
                          ("送温暖", Decimal("10000.00"), Decimal("10000.00"))]
    assert (a1.dues_given, a1.dues_received, a1.dues_difference) == (Decimal("4000.00"), Decimal("4000.00"), Decimal("0.00"))
    assert a2.matches and a2.given == a2.received == Decimal("3000.00")
    assert [p.org.code for p in result.differing] == ["A1"]
    assert [(u.text, u.amount) for u in result.unmatched] == [("某某公司工会", Decimal("500.00"))]
    assert [(u.text, sorted(o.code for o in u.candidates)) for u in result.ambiguous] == [("区总工会", ["A1", "A2"])]
    assert result.blank.amount == Decimal("300.00") and result.blank.lines == 1
    assert "A1X" not in pairs  # nothing between the city and that unit


def test_scope_limits_the_units_below(tmp_path, tree, personas):
    books_2021(tmp_path)
    assert {p.org.code for p in cross_level(personas["a_auditor"], tree["A"], 2021).pairs} == {"A1", "A2"}
    # a cross-audit grant on the city opens the city alone: the units below stay closed, so what it
    # gave them is listed under names that match no unit the grantee may see
    lead_b = make_user("B", "lead_b", RoleCode.TEAM_LEAD)
    today = datetime.date.today()
    create_grant(target=tree["A"], grantee_user=lead_b, valid_from=today, valid_until=today, purpose="交叉互审", actor=OPERATOR)
    result = cross_level(lead_b, tree["A"], 2021)
    assert result.pairs == [] and {normalise(u.text) for u in result.unmatched} >= {"甲市一区总工会", "A2"}


def test_the_page(client_for, tmp_path, tree):
    books_2021(tmp_path)
    client = client_for("a_auditor")
    page = client.get("/finance/cross-level/?org=A&year=2021").content.decode()
    assert "甲市一区总工会" in page and "-3,500.00" in page and "相符" in page
    assert "对应多个单位的往来单位（1）" in page and "某某公司工会" in page and "没有填写往来单位" in page
    assert "/journal/?account=506&amp;counterparty=" in page
    chart = chart_data(page, "cross-level-data")
    assert chart["categories"][0] == "甲市一区总工会" and chart["series"][0]["data"][0] == 12000.0
    foreign = client_for("b_auditor").get("/finance/cross-level/?org=A&year=2021").content.decode()
    assert "不存在或不在您的查看范围内" in foreign and "-3,500.00" not in foreign
    assert client_for("b_auditor").get("/finance/cross-level/?org=A&year=abc").status_code == 200


def test_an_upper_unit_without_data_compares_nothing(tmp_path, tree, personas):
    books_2021(tmp_path)
    # the province has no vouchers: its cities' income is shown, no difference is made up; the
    # counties below the city are not its direct children, so they are not listed
    result = cross_level(personas["prov_director"], tree["P"], 2021)
    assert result.dataset is None and [p.org.code for p in result.pairs] == []
    city = cross_level(personas["prov_director"], tree["A"], 2021)
    assert "A1X" not in {p.org.code for p in city.pairs}


def test_aliases_name_units_and_a_shared_alias_is_ambiguous(tmp_path, tree, personas):
    from jingshen.finance.crosslevel import Matcher
    from jingshen.orgs.services import update_org

    admin = make_user("A", "a_admin", RoleCode.ADMIN)
    units = [tree["A1"], tree["A2"], tree["A1X"]]
    assert Matcher(units).find("一区工会") == []
    update_org(admin, tree["A1"], name="甲市一区总工会", level="county", kind="union_office", parent=tree["A"],
               aliases=["一区工会", "某某公司工会"])
    matcher = Matcher(units)
    assert [o.code for o in matcher.find("一区 工会")] == ["A1"]  # exact after normalise
    assert matcher.find("区工会") == []  # aliases match exactly, never by suffix
    books_2021(tmp_path)
    result = cross_level(personas["prov_director"], tree["A"], 2021)
    pairs = {p.org.code: p for p in result.pairs}
    assert pairs["A1"].given == Decimal("12500.00") and "某某公司工会" in pairs["A1"].texts
    assert result.unmatched == []
    # the same alias on two units names neither: listed as ambiguous, never guessed
    update_org(admin, tree["A2"], name="甲市二区总工会", level="county", kind="union_office", parent=tree["A"],
               aliases=["某某公司工会"])
    result = cross_level(personas["prov_director"], tree["A"], 2021)
    assert {u.text: sorted(o.code for o in u.candidates) for u in result.ambiguous}["某某公司工会"] == ["A1", "A2"]
    assert {p.org.code: p for p in result.pairs}["A1"].given == Decimal("12000.00")


def test_by_kind_the_given_side_is_unknown_without_the_upper_units_data(tmp_path, tree, personas, client_for):
    rows = v("A1", 1, 1, [("收市总送温暖补助", "102", "银行存款", "10000.00", "", ""),
                          ("收市总送温暖补助", "40305", "送温暖补助", "", "10000.00", "甲市总工会")])
    import_vouchers(write(tmp_path / "凭证.csv", rows))
    result = cross_level(personas["prov_director"], tree["A"], 2021)
    (a1,) = result.pairs
    assert result.dataset is None and not a1.upper_known
    assert a1.kinds() == [("送温暖", None, Decimal("10000.00"))]  # unknown, not 0.00
    page = client_for("a_auditor").get("/finance/cross-level/?org=A&year=2021").content.decode()
    assert "送温暖：— / 10,000.00" in page and "送温暖：0.00" not in page
