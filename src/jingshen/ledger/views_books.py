"""查账 pages: 数据集, 科目余额表, 明细账, 凭证, 序时账 (穿透: balance → ledger → voucher).

Views are thin: they resolve the dataset through ``books.get_dataset_for_user`` (404 outside
the user's view scope), parse the query string, call ``jingshen.ledger.books`` and render the
page — or, with ``?format=xlsx``, the same table as a workbook.
"""

from urllib.parse import urlsplit

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse

from jingshen import querystring, xlsx_export
from jingshen.ledger import books
from jingshen.orgs import scope
from jingshen.xlsx_export import too_large

# --- query strings ---------------------------------------------------------------------------------------


class IndexQuery(querystring.ExportForm):
    q = querystring.text("单位")
    year = querystring.year("年度")
    page = querystring.page()


class BalancesQuery(querystring.PeriodRangeForm):
    level = querystring.choice("科目级次", [("all", "全部"), *((str(n), f"{n} 级") for n in range(1, 10))], "all")


class LedgerQuery(querystring.PeriodRangeForm):
    page = querystring.page()


class VoucherQuery(querystring.ExportForm):
    back = querystring.text("返回页面", max_length=2000)


def _file_stem(dataset) -> str:
    return f"{dataset.org.name}-{dataset.fiscal_year}年-第{dataset.version}版"


def _context(dataset, **extra) -> dict:
    """What every page of one dataset shows in its header."""
    return {
        "dataset": dataset,
        "latest_version": books.latest_version(dataset),
        **extra,
    }


def _back_link(request, dataset) -> dict | None:
    """Where the voucher was opened from (明细账 or 序时账), for the breadcrumb. Only a path of
    this same dataset's pages is accepted."""
    back = request.query.value("back") or ""
    base = reverse("books:balances", args=[dataset.pk]).removesuffix("balances/")
    parts = urlsplit(back)
    if not back.startswith(base) or parts.scheme or parts.netloc:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.url_name == "ledger":
        return {"url": back, "label": f"明细账 {match.kwargs['account_code']}", "kind": "ledger",
                "code": match.kwargs["account_code"]}
    if match.url_name == "journal":
        return {"url": back, "label": "序时账", "kind": "journal"}
    return None


# --- pages ------------------------------------------------------------------------------------------


@querystring.query(IndexQuery)
def index(request):
    """查账首页: the voucher datasets the user may see, latest version per unit-year."""
    query = (request.query.value("q") or "").strip()
    year = request.query.value("year")
    groups = books.dataset_groups(request.user, query, year)
    if request.query.wants_xlsx():
        return xlsx_export.response(request, books.datasets_sheet(groups), "凭证数据集.xlsx", "datasets.xlsx")
    page = Paginator(groups, books.PAGE_SIZE).get_page(request.query.value("page"))
    years = books.dataset_years(request.user, query)  # every year offered, not only the chosen one
    return render(
        request, "ledger/books/index.html",
        {"page": page, "query": query, "year": year, "years": years, "total": len(groups),
         "may_import": scope.may(request.user, scope.IMPORT)},
    )


@querystring.query(BalancesQuery)
def balances(request, dataset_id):
    """科目余额表 over a period range, by account level."""
    dataset = books.get_dataset_for_user(request.user, dataset_id)
    first, last = request.query.periods()
    sheet = books.balances(dataset, request.query.value("level"), first, last)
    if request.query.wants_xlsx():
        name = f"{_file_stem(dataset)}-科目余额表-{first}至{last}期.xlsx"
        return xlsx_export.response(request, books.balances_sheet(dataset, sheet), name,
                                    f"balances-{dataset.pk}.xlsx", org=dataset.org, obj=dataset)
    levels = [str(n) for n in range(1, sheet.max_level + 1)]
    return render(
        request, "ledger/books/balances.html",
        _context(dataset, sheet=sheet, levels=levels, periods=books.PERIODS),
    )


@querystring.query(LedgerQuery)
def ledger(request, dataset_id, account_code):
    """明细账 of one account and its sub-accounts, with running balance."""
    dataset = books.get_dataset_for_user(request.user, dataset_id)
    first, last = request.query.periods()
    if request.query.wants_xlsx():
        head, rows = books.ledger_export_rows(dataset, account_code, first, last)
        if head is None:
            raise Http404("科目不存在。")
        if head.paging.total > xlsx_export.EXPORT_MAX_ROWS:
            return too_large(request, head.paging.total)
        name = f"{_file_stem(dataset)}-明细账-{account_code}-{first}至{last}期.xlsx"
        return xlsx_export.response(request, books.ledger_sheet(dataset, head, rows), name,
                                    f"ledger-{dataset.pk}.xlsx", org=dataset.org, obj=dataset)
    result = books.account_ledger(dataset, account_code, first, last, request.query.value("page"))
    if result is None:
        raise Http404("科目不存在。")
    period_query = f"from={result.period_from}&to={result.period_to}"  # the breadcrumb's links keep the periods
    return render(request, "ledger/books/ledger.html", _context(dataset, ledger=result, periods=books.PERIODS, period_query=period_query))


@querystring.query(VoucherQuery)
def voucher(request, dataset_id, period, voucher_type, voucher_no):
    """One voucher: header, lines, totals, whether it balances."""
    dataset = books.get_dataset_for_user(request.user, dataset_id)
    result = books.voucher(dataset, period, voucher_type, voucher_no)
    if result is None:
        raise Http404("凭证不存在。")
    if request.query.wants_xlsx():
        name = f"{_file_stem(dataset)}-凭证-{period}期-{result.voucher_type}{result.voucher_no}号.xlsx"
        return xlsx_export.response(request, books.voucher_sheet(dataset, result), name,
                                    f"voucher-{dataset.pk}.xlsx", org=dataset.org, obj=dataset)
    return render(request, "ledger/books/voucher.html", _context(dataset, v=result, back=_back_link(request, dataset)))


class JournalForm(querystring.ExportForm):
    """序时账's filters (shown with their errors beside them) and its page."""

    inline_errors = frozenset({"date_from", "date_to", "account", "amount_min", "amount_max", "counterparty", "words"})

    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    account = forms.CharField(label="科目编码", required=False, max_length=40,
                              widget=forms.TextInput(attrs={"placeholder": "如 102，含下级", "size": 14}))
    amount_min = querystring.AmountField("金额不低于", min_value=0)
    amount_max = querystring.AmountField("金额不高于", min_value=0)
    counterparty = forms.CharField(label="往来单位包含", required=False, max_length=100,
                                   widget=forms.TextInput(attrs={"size": 14}))
    words = forms.CharField(label="摘要包含", required=False, max_length=100,
                            widget=forms.TextInput(attrs={"placeholder": "多个词用空格分隔", "size": 16}))
    page = querystring.page()

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "截止日期不能早于起始日期。")
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", "金额上限不能小于下限。")
        return data

    def journal_filter(self) -> books.JournalFilter:
        """The filter from the fields that are valid (an invalid field is shown and ignored)."""
        data = self.cleaned_data
        return books.JournalFilter(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            account=(data.get("account") or "").strip(),
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
            counterparty=(data.get("counterparty") or "").strip(),
            words=(data.get("words") or "").split(),
        )

    def description(self) -> str:
        data = self.cleaned_data
        parts = []
        for name, f in self.fields.items():
            if name not in self.inline_errors:
                continue
            value = data.get(name)
            if value not in (None, ""):
                parts.append(f"{f.label} {value}")
        return "；".join(parts)


@querystring.query(JournalForm)
def journal(request, dataset_id):
    """序时账: every line in date order with filters, paged."""
    dataset = books.get_dataset_for_user(request.user, dataset_id)
    form = request.query
    flt = form.journal_filter()
    if form.wants_xlsx():
        head, rows = books.journal_export_rows(dataset, flt)
        if head.paging.total > xlsx_export.EXPORT_MAX_ROWS:
            return too_large(request, head.paging.total)
        sheet = books.journal_sheet(dataset, head, rows, form.description())
        return xlsx_export.response(request, sheet, f"{_file_stem(dataset)}-序时账.xlsx",
                                    f"journal-{dataset.pk}.xlsx", org=dataset.org, obj=dataset)
    result = books.journal(dataset, flt, form.value("page"))
    return render(request, "ledger/books/journal.html", _context(dataset, form=form, journal=result))
