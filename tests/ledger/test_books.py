"""查账: 科目余额表 roll-up, 明细账 running balance and paging, 凭证 totals, 序时账 filters and
paging, XLSX export (formula injection neutralised), and the unit scope (404 outside it)."""

import io
from decimal import Decimal
from urllib.parse import quote

import duckdb
import openpyxl
import pytest
from django.http import Http404
from jingshen import xlsx_export
from jingshen.cli import main
from jingshen.ledger import books, store
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from tests.ledger.conftest import line, write

D = Decimal
EVIL = '=HYPERLINK("http://evil.example/x","点击领取")'


NAMES = {"10201": "工商银行", "1020101": "工行基本户", "10202": "建设银行"}


def v(no, date, entries, vtype="记", period=None, **kw):
    """A voucher: entries = [(code, debit, credit, summary, counterparty), ...]."""
    period = period or str(int(date[5:7]))
    return [
        line(period=period, date=date, vtype=vtype, no=str(no), line_no=str(i), summary=summary, code=code, name=NAMES.get(code, ""),
             debit=debit, credit=credit, payee=payee, **kw)
        for i, (code, debit, credit, summary, payee) in enumerate(entries, start=1)
    ]


# Bank 102 gets sub-accounts 10201 (and its child 1020101) and 10202, created from the file.
ROWS = [
    *v(1, "2025-01-05", [("50102", "1200.00", "", "职工篮球赛场地费", "市体育馆"), ("10201", "", "1200.00", "职工篮球赛场地费", "市体育馆")]),
    *v(2, "2025-01-20", [("50205", "350.50", "", "送温暖慰问", ""), ("10202", "", "350.50", "送温暖慰问", "")]),
    *v(3, "2025-01-25", [("10201", "10000.00", "", "收到拨缴经费", "甲市总工会"), ("402", "", "10000.00", "收到拨缴经费", "甲市总工会")]),
    *v(1, "2025-02-10", [("50102", "800.00", "", EVIL, "@SUM(A1)"), ("1020101", "", "800.00", EVIL, "@SUM(A1)")]),
    *v(2, "2025-02-18", [("50402", "100.00", "", "购买办公用品", "文具店"), ("101", "", "90.00", "购买办公用品", "文具店")]),
    *v(1, "2025-03-03", [("50301", "-200.00", "", "红字冲销多记培训费", ""), ("10201", "", "-200.00", "红字冲销多记培训费", "")],
       vtype="付"),
]


@pytest.fixture
def dataset(tree, tmp_path):
    import_vouchers(write(tmp_path / "凭证.csv", ROWS), create_accounts=True)
    return Dataset.objects.get(org__code="A1X", kind="vouchers")


def rows_by_code(sheet):
    return {r.code: r for r in sheet.rows}


# --- 科目余额表 --------------------------------------------------------------------------------------


def test_balances_roll_parents_up_from_children(dataset):
    sheet = books.balances(dataset, "all", 1, 12)
    rows = rows_by_code(sheet)
    assert (rows["10201"].debit, rows["10201"].credit, rows["10201"].closing) == (D("10000.00"), D("1800.00"), D("8200.00"))
    assert (rows["1020101"].credit, rows["1020101"].closing) == (D("800.00"), D("-800.00"))  # debit account, credit balance
    assert (rows["102"].debit, rows["102"].credit, rows["102"].closing) == (D("10000.00"), D("2150.50"), D("7849.50"))
    assert rows["402"].closing == D("10000.00") and rows["402"].closing_side == "贷"  # shown in its normal direction
    assert rows["101"].closing == D("-90.00") and rows["101"].closing_side == "借"
    assert (rows["503"].debit, rows["50301"].debit) == (D("-200.00"), D("-200.00"))
    own = {code: (d, c) for code, d, c in duckdb.sql(
        f"SELECT account_code, sum(debit), sum(credit) FROM read_parquet('{store.parquet_path(dataset, 'summary')}') GROUP BY 1"
    ).fetchall()}
    accounts = books.dataset_accounts(dataset)
    parents = 0
    for code, row in rows.items():  # every parent = its own postings (10201 has some) + the sum of its children
        kids = [rows[c] for c in accounts.children.get(code, ()) if c in rows]
        if kids:
            parents += 1
            d, c = own.get(code, (0, 0))
            assert row.debit == d + sum(k.debit for k in kids) and row.credit == c + sum(k.credit for k in kids), code
            assert row.closing == d - c + sum(k.closing for k in kids), code
    assert parents == 6  # 102, 10201, 501, 502, 503, 504
    assert [r.account.level for r in (rows["102"], rows["10201"], rows["1020101"])] == [1, 2, 3]
    assert (sheet.debit, sheet.credit) == (D("12250.50"), D("12240.50"))
    assert sheet.opening_total == ("平", D("0.00")) and sheet.closing_total == ("借", D("10.00"))  # unbalanced voucher
    assert all(isinstance(x, Decimal) for r in sheet.rows for x in (r.opening, r.debit, r.credit, r.closing))


def test_balances_over_a_period_range_carry_earlier_periods_into_opening(dataset):
    rows = rows_by_code(books.balances(dataset, "all", 2, 3))
    r = rows["10201"]
    assert (r.opening, r.debit, r.credit, r.closing) == (D("8800.00"), D("0.00"), D("600.00"), D("8200.00"))
    assert rows["50205"].opening == D("350.50") and rows["50205"].debit == 0
    only_march = rows_by_code(books.balances(dataset, "all", 3, 3))
    assert only_march["503"].debit == D("-200.00") and only_march["102"].opening == D("7649.50")


def test_balances_by_level(dataset):
    assert {r.account.level for r in books.balances(dataset, "1").rows} == {1}
    level2 = rows_by_code(books.balances(dataset, "2"))
    assert "10201" in level2 and "1020101" not in level2 and level2["10201"].closing == D("8200.00")
    assert level2["102"].has_children and not level2["10201"].has_children


def test_opening_balances_come_from_a_balances_dataset(dataset, tmp_path, capsys):
    header = ["单位编码", "会计年度", "科目编码", "期初余额", "余额方向", "本期借方", "本期贷方", "期末余额"]
    rows = [
        ["A1X", "2025", "102", "5000.00", "借", "", "", ""],  # parent and child both listed: counted once
        ["A1X", "2025", "10201", "5000.00", "借", "", "", ""],
        ["A1X", "2025", "331", "5000.00", "贷", "", "", ""],
    ]
    assert main(["import", "balances", str(write(tmp_path / "余额.csv", rows, header=header))]) == 0, capsys.readouterr().err
    sheet = books.balances(dataset, "all", 1, 12)
    got = rows_by_code(sheet)
    assert got["102"].opening == D("5000.00") and got["102"].closing == D("12849.50")
    assert got["331"].opening == D("5000.00") and got["331"].opening_side == "贷"
    assert sheet.opening_source is not None and sheet.opening_total == ("平", D("0.00"))
    assert books.account_ledger(dataset, "10201").opening == D("5000.00")


def test_balances_page_links_accounts_to_their_ledger(dataset, client_for):
    page = client_for("a_auditor").get(f"/books/{dataset.pk}/balances/?from=2&to=3&level=2").content.decode()
    assert "8,449.50" in page and "8,200.00" in page and "8,800.00" in page  # 102 opening, 10201 closing/opening
    assert f'href="/books/{dataset.pk}/ledger/10201/?from=2&amp;to=3"' in page
    assert "年初余额按 0 计" in page and "第 1～1 期的发生额已计入期初余额" in page
    assert 'class="num neg">-350.50' in page  # negative in red


# --- 明细账 ----------------------------------------------------------------------------------------


def test_ledger_running_balance_with_monthly_totals(dataset):
    ledger = books.account_ledger(dataset, "102")
    assert set(ledger.codes) == {"102", "10201", "1020101", "10202"}
    got = [(r.kind, r.date and r.date.isoformat(), r.debit, r.credit, r.balance) for r in ledger.rows]
    assert got == [
        ("opening", None, D("0.00"), D("0.00"), D("0.00")),
        ("line", "2025-01-05", D("0.00"), D("1200.00"), D("-1200.00")),
        ("line", "2025-01-20", D("0.00"), D("350.50"), D("-1550.50")),
        ("line", "2025-01-25", D("10000.00"), D("0.00"), D("8449.50")),
        ("month", None, D("10000.00"), D("1550.50"), D("8449.50")),
        ("year", None, D("10000.00"), D("1550.50"), D("8449.50")),
        ("line", "2025-02-10", D("0.00"), D("800.00"), D("7649.50")),
        ("month", None, D("0.00"), D("800.00"), D("7649.50")),
        ("year", None, D("10000.00"), D("2350.50"), D("7649.50")),
        ("line", "2025-03-03", D("0.00"), D("-200.00"), D("7849.50")),
        ("month", None, D("0.00"), D("-200.00"), D("7849.50")),
        ("year", None, D("10000.00"), D("2150.50"), D("7849.50")),
    ]
    assert (ledger.opening, ledger.debit, ledger.credit, ledger.closing) == (D("0.00"), D("10000.00"), D("2150.50"), D("7849.50"))
    assert ledger.closing == books.balances(dataset).rows[[r.code for r in books.balances(dataset).rows].index("102")].closing


def test_ledger_paging_keeps_the_running_balance(dataset):
    page2 = books.account_ledger(dataset, "102", page=2, per_page=2)
    assert page2.paging.total == 5 and page2.paging.pages == 3
    assert [(r.kind, r.balance) for r in page2.rows] == [
        ("line", D("8449.50")), ("month", D("8449.50")), ("year", D("8449.50")), ("line", D("7649.50")),
        ("month", D("7649.50")), ("year", D("7649.50")),
    ]
    assert books.account_ledger(dataset, "102", page=99, per_page=2).paging.page == 3  # clamped to the last page
    from_feb = books.account_ledger(dataset, "102", 2, 3)
    assert from_feb.opening == D("8449.50") and from_feb.rows[1].balance == D("7649.50")
    credit_account = books.account_ledger(dataset, "402")
    assert credit_account.rows[1].balance == D("10000.00") and credit_account.rows[1].side == "贷"
    assert books.account_ledger(dataset, "999") is None


def test_ledger_page_links_lines_to_vouchers(dataset, client_for):
    client = client_for("a_auditor")
    response = client.get(f"/books/{dataset.pk}/ledger/102/?from=1&to=12")
    page = response.content.decode()
    assert response.status_code == 200 and "银行存款" in page and "本月合计" in page and "本年累计" in page
    assert f"/books/{dataset.pk}/voucher/1/%E8%AE%B0/3/?back=" in page or f"/books/{dataset.pk}/voucher/1/记/3/?back=" in page
    assert f'href="/books/{dataset.pk}/ledger/10201/?from=1&amp;to=12"' in page  # sub-account drill-down
    assert client.get(f"/books/{dataset.pk}/ledger/999/").status_code == 404


# --- 凭证 ------------------------------------------------------------------------------------------


def test_voucher_totals_and_balance(dataset):
    ok = books.voucher(dataset, 1, "记", 1)
    assert [(x.line_no, x.account_code, x.debit, x.credit) for x in ok.lines] == [
        (1, "50102", D("1200.00"), D("0.00")), (2, "10201", D("0.00"), D("1200.00"))
    ]
    assert ok.balanced and ok.debit == D("1200.00") and ok.preparers == ["张伟"] and ok.reviewers == ["李娜"]
    assert ok.attachments == 2 and ok.next_no == 2 and ok.previous_no is None and ok.lines[0].account_name == "职工活动支出/文体活动费"
    bad = books.voucher(dataset, 2, "记", 2)
    assert not bad.balanced and bad.difference == D("10.00") and any("相差" in m for m in bad.issues)
    assert books.voucher(dataset, 3, "付", 1).debit == D("-200.00")
    assert books.voucher(dataset, 1, "记", 99) is None


def test_voucher_page_with_breadcrumb_back_to_the_ledger(dataset, client_for):
    client = client_for("a_auditor")
    back = f"/books/{dataset.pk}/ledger/102/?from=1&to=12"
    page = client.get(f"/books/{dataset.pk}/voucher/2/记/2/", {"back": back}).content.decode()
    assert "借贷不平衡，相差 10.00" in page and "记 字第 2 号" in page and "文具店" in page
    assert f'<a href="/books/{dataset.pk}/ledger/102/?from=1&amp;to=12">明细账 102</a>' in page
    assert 'href="/books/' in page and "科目余额表" in page
    foreign_back = client.get(f"/books/{dataset.pk}/voucher/2/记/2/", {"back": "https://evil.example/"}).content.decode()
    assert "evil.example" not in foreign_back
    assert client.get(f"/books/{dataset.pk}/voucher/1/记/99/").status_code == 404


# --- 序时账 ----------------------------------------------------------------------------------------


def journal(dataset, **kw):
    return books.journal(dataset, books.JournalFilter(**kw), per_page=100)


def test_journal_filters(dataset):
    import datetime

    everything = journal(dataset)
    assert everything.paging.total == 12 and (everything.debit, everything.credit) == (D("12250.50"), D("12240.50"))
    assert [x.date.isoformat() for x in everything.lines][:3] == ["2025-01-05", "2025-01-05", "2025-01-20"]
    dates = journal(dataset, date_from=datetime.date(2025, 1, 20), date_to=datetime.date(2025, 2, 10))
    assert dates.paging.total == 6 and {x.date.isoformat() for x in dates.lines} == {"2025-01-20", "2025-01-25", "2025-02-10"}
    bank = journal(dataset, account="102")
    assert bank.paging.total == 5 and {x.account_code for x in bank.lines} == {"10201", "10202", "1020101"}
    assert bank.credit == D("2150.50")
    amounts = journal(dataset, amount_min=D("300"), amount_max=D("1000"))
    assert sorted(x.debit + x.credit for x in amounts.lines) == [D("350.50"), D("350.50"), D("800.00"), D("800.00")]
    assert journal(dataset, amount_min=D("200"), amount_max=D("200")).paging.total == 2  # -200.00 by absolute value
    assert journal(dataset, counterparty="体育").paging.total == 2
    assert journal(dataset, words=["篮球", "场地"]).paging.total == 2
    assert journal(dataset, words=["篮球", "温暖"]).paging.total == 0
    combined = journal(dataset, account="5", amount_min=D("1000"))
    assert [(x.account_code, x.debit) for x in combined.lines] == [("50102", D("1200.00"))]


def test_journal_paging(dataset):
    full = [(x.period, x.voucher_type, x.voucher_no, x.line_no) for x in journal(dataset).lines]
    paged = []
    for page in (1, 2, 3):
        result = books.journal(dataset, books.JournalFilter(), page, per_page=5)
        assert result.paging.total == 12 and result.paging.pages == 3
        paged += [(x.period, x.voucher_type, x.voucher_no, x.line_no) for x in result.lines]
    assert paged == full
    filtered = books.journal(dataset, books.JournalFilter(words=["经费"]), 2, per_page=1)
    assert filtered.paging.total == 2 and [x.account_code for x in filtered.lines] == ["402"]


def test_journal_page_shows_count_and_reports_bad_filters(dataset, client_for):
    client = client_for("a_auditor")
    page = client.get(f"/books/{dataset.pk}/journal/", {"account": "102", "amount_min": "abc"}).content.decode()
    assert "<strong>5</strong> 条" in page and "部分筛选条件有误" in page
    assert "&lt;" not in EVIL and "=HYPERLINK(&quot;http://evil.example/x&quot;" in page  # shown as escaped text
    second = client.get(f"/books/{dataset.pk}/journal/", {"page": "2"}).content.decode()
    assert "第 1–12 条，共 12 条" in second  # one page only: clamped


# --- export ---------------------------------------------------------------------------------------


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_journal_export_neutralises_formulas_and_keeps_numbers(dataset, client_for):
    response = client_for("a_auditor").get(f"/books/{dataset.pk}/journal/", {"account": "1020101", "format": "xlsx"})
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="journal-')
    assert f"filename*=UTF-8''{quote('甲市一区电子公司工会委员会-2025年-第1版-序时账.xlsx')}" in disposition
    ws = workbook(response)
    rows = list(ws.iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r[0] == "期间"))
    assert rows[header][:9] == ("期间", "日期", "凭证字号", "分录号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额")
    data = rows[header + 1]
    assert data[4] == "'" + EVIL and data[9] == "'@SUM(A1)" and data[8] == 800 and data[7] == 0
    cells = list(ws.iter_rows(min_row=header + 2, max_row=header + 2))[0]
    assert cells[4].data_type == "s" and cells[8].data_type == "n" and cells[8].number_format.startswith("#,##0.00")
    assert rows[-1][0] == "合计" and rows[-1][8] == 800
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_balances_ledger_voucher_and_list_export(dataset, client_for):
    client = client_for("a_auditor")
    rows = list(workbook(client.get(f"/books/{dataset.pk}/balances/?format=xlsx&level=all")).iter_rows(values_only=True))
    bank = next(r for r in rows if r[0] == "102")
    assert bank[1:] == ("银行存款", 1, "平", 0, 10000, 2150.5, "借", 7849.5)
    assert rows[-1][0] == "合计" and rows[-1][5:7] == (12250.5, 12240.5)
    ledger_rows = list(workbook(client.get(f"/books/{dataset.pk}/ledger/102/?format=xlsx")).iter_rows(values_only=True))
    assert [r[3] for r in ledger_rows if r[3] in ("期初余额", "本月合计", "本年累计")][:3] == ["期初余额", "本月合计", "本年累计"]
    assert ledger_rows[-1][9] == 7849.5
    voucher_rows = list(workbook(client.get(f"/books/{dataset.pk}/voucher/2/记/1/?format=xlsx")).iter_rows(values_only=True))
    assert any(r[1] == "'" + EVIL for r in voucher_rows) and voucher_rows[-1][4:6] == (800, 800)
    listing = list(workbook(client.get("/books/?format=xlsx")).iter_rows(values_only=True))
    assert any(r[0] == "A1X" and r[3] == 1 and r[4] == 12 for r in listing)
    # every export is in the activity log: who took which table of which unit, with which filters
    from jingshen.activity.models import ActivityLog

    taken = list(ActivityLog.objects.filter(action="download").order_by("seq"))
    assert [e.summary.split("「")[0] for e in taken] == ["下载科目余额表", "下载明细账", "下载凭证", "下载凭证数据集"]
    assert {e.actor.username for e in taken} == {"a_auditor"} and taken[0].org == dataset.org
    assert taken[0].details["filters"] == {"level": "all"} and taken[0].object_id == str(dataset.pk)


def test_export_refuses_more_rows_than_the_limit(dataset, client_for, monkeypatch):
    monkeypatch.setattr(xlsx_export, "EXPORT_MAX_ROWS", 3)
    response = client_for("a_auditor").get(f"/books/{dataset.pk}/journal/?account=5&format=xlsx", follow=True)
    assert "超过单次导出上限 3 行" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/books/{dataset.pk}/journal/?account=5"


def test_safe_text():
    for text in ("=1+2", "+86", "-5", "@cmd", "\tx", "\rx"):
        assert xlsx_export.safe_text(text) == "'" + text
    assert xlsx_export.safe_text("工会经费") == "工会经费" and xlsx_export.safe_text("") == ""
    assert xlsx_export.safe_text("a\x00b\x0bc") == "abc" and xlsx_export.safe_text("\x01=1") == "'=1"


# --- the dataset list and access ----------------------------------------------------------------------


def test_index_lists_latest_version_with_older_reachable(dataset, client_for, tmp_path):
    import_vouchers(write(tmp_path / "v2.csv", ROWS[:2]))
    v2 = Dataset.objects.get(org__code="A1X", version=2)
    page = client_for("a_auditor").get("/books/").content.decode()
    assert f'href="/books/{v2.pk}/balances/">科目余额表' in page
    assert "历史版本 1 个" in page and f'href="/books/{dataset.pk}/balances/">第 1 版' in page
    old = client_for("a_auditor").get(f"/books/{dataset.pk}/balances/").content.decode()
    assert "非最新版本，最新为第 2 版" in old


def test_scope_foreign_and_missing_datasets_are_404(dataset, client_for, personas):
    urls = [
        f"/books/{dataset.pk}/balances/",
        f"/books/{dataset.pk}/balances/?format=xlsx",
        f"/books/{dataset.pk}/ledger/102/",
        f"/books/{dataset.pk}/ledger/102/?format=xlsx",
        f"/books/{dataset.pk}/voucher/1/记/1/",
        f"/books/{dataset.pk}/journal/",
        f"/books/{dataset.pk}/journal/?format=xlsx",
    ]
    for persona in ("b_auditor", "a1_auditor", "contact", "a_auditor", "prov_director"):
        expected = 404 if persona == "b_auditor" else 200
        client = client_for(persona)
        for url in urls:
            assert client.get(url).status_code == expected, (persona, url)
    outsider = client_for("b_auditor")
    assert "甲市一区电子公司工会委员会" not in outsider.get("/books/").content.decode()
    assert client_for("a_auditor").get(f"/books/{dataset.pk + 1000}/balances/").status_code == 404
    with pytest.raises(Http404):
        books.get_dataset_for_user(personas["b_auditor"], dataset.pk)
    assert books.get_dataset_for_user(personas["contact"], dataset.pk) == dataset
