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

from jingshen import xlsx_export
from jingshen.ledger import books
from jingshen.xlsx_export import too_large

# --- helpers ------------------------------------------------------------------------------------------


def _int(value, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return min(high, max(low, number))


def _periods(request) -> tuple[int, int]:
    first = _int(request.GET.get("from"), 1, 1, 12)
    last = _int(request.GET.get("to"), 12, 1, 12)
    return (first, last) if first <= last else (last, first)


def _page(request) -> int:
    return _int(request.GET.get("page"), 1, 1, 10**9)


def wants_xlsx(request) -> bool:
    return request.GET.get("format") == "xlsx"


def _file_stem(dataset) -> str:
    return f"{dataset.org.name}-{dataset.fiscal_year}年-第{dataset.version}版"


def _context(dataset, **extra) -> dict:
    """What every page of one dataset shows in its header."""
    return {
        "dataset": dataset,
        "latest_version": books.latest_version(dataset),
        "menu_current": "ledger",  # the menu section; this app's namespace is "books"
        **extra,
    }


def _back_link(request, dataset) -> dict | None:
    """Where the voucher was opened from (明细账 or 序时账), for the breadcrumb. Only a path of
    this same dataset's pages is accepted."""
    back = request.GET.get("back", "")
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


def index(request):
    """查账首页: the voucher datasets the user may see, latest version per unit-year."""
    query = request.GET.get("q", "").strip()[:100]
    year = _int(request.GET.get("year"), 0, 0, 2100) or None
    groups = books.dataset_groups(request.user, query, year)
    if wants_xlsx(request):
        return xlsx_export.response(books.datasets_sheet(groups), "凭证数据集.xlsx", "datasets.xlsx")
    page = Paginator(groups, books.PAGE_SIZE).get_page(request.GET.get("page"))
    years = sorted({g.fiscal_year for g in groups}, reverse=True)
    return render(
        request, "ledger/books/index.html",
        {"page": page, "query": query, "year": year, "years": years, "total": len(groups), "menu_current": "ledger"},
    )


LEVELS = {"all", *map(str, range(1, 10))}


def balances(request, dataset_id):
    """科目余额表 over a period range, by account level."""
    dataset = books.get_dataset_for_user(request.user, dataset_id)
    first, last = _periods(request)
    level = request.GET.get("level", "all")
    level = level if level in LEVELS else "all"
    sheet = books.balances(dataset, level, first, last)
    if wants_xlsx(request):
        name = f"{_file_stem(dataset)}-科目余额表-{first}至{last}期.xlsx"
        return xlsx_export.response(books.balances_sheet(dataset, sheet), name, f"balances-{dataset.pk}.xlsx")
    levels = [str(n) for n in range(1, sheet.max_level + 1)]
    return render(
        request, "ledger/books/balances.html",
        _context(dataset, sheet=sheet, levels=levels, periods=books.PERIODS),
    )


def ledger(request, dataset_id, account_code):
    """明细账 of one account and its sub-accounts, with running balance."""
    dataset = books.get_dataset_for_user(request.user, dataset_id)
    first, last = _periods(request)
    if wants_xlsx(request):
        head, rows = books.ledger_export_rows(dataset, account_code, first, last)
        if head is None:
            raise Http404("科目不存在。")
        if head.paging.total > xlsx_export.EXPORT_MAX_ROWS:
            return too_large(request, head.paging.total)
        name = f"{_file_stem(dataset)}-明细账-{account_code}-{first}至{last}期.xlsx"
        return xlsx_export.response(books.ledger_sheet(dataset, head, rows), name, f"ledger-{dataset.pk}.xlsx")
    result = books.account_ledger(dataset, account_code, first, last, _page(request))
    if result is None:
        raise Http404("科目不存在。")
    return render(request, "ledger/books/ledger.html", _context(dataset, ledger=result, periods=books.PERIODS))


def voucher(request, dataset_id, period, voucher_type, voucher_no):
    """One voucher: header, lines, totals, whether it balances."""
    dataset = books.get_dataset_for_user(request.user, dataset_id)
    result = books.voucher(dataset, period, voucher_type, voucher_no)
    if result is None:
        raise Http404("凭证不存在。")
    if wants_xlsx(request):
        name = f"{_file_stem(dataset)}-凭证-{period}期-{result.voucher_type}{result.voucher_no}号.xlsx"
        return xlsx_export.response(books.voucher_sheet(dataset, result), name, f"voucher-{dataset.pk}.xlsx")
    return render(request, "ledger/books/voucher.html", _context(dataset, v=result, back=_back_link(request, dataset)))


class JournalForm(forms.Form):
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    account = forms.CharField(label="科目编码", required=False, max_length=40,
                              widget=forms.TextInput(attrs={"placeholder": "如 102，含下级", "size": 14}))
    amount_min = forms.DecimalField(label="金额不低于", required=False, max_digits=18, decimal_places=2, min_value=0,
                                    widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}))
    amount_max = forms.DecimalField(label="金额不高于", required=False, max_digits=18, decimal_places=2, min_value=0,
                                    widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}))
    counterparty = forms.CharField(label="往来单位包含", required=False, max_length=100,
                                   widget=forms.TextInput(attrs={"size": 14}))
    words = forms.CharField(label="摘要包含", required=False, max_length=100,
                            widget=forms.TextInput(attrs={"placeholder": "多个词用空格分隔", "size": 16}))

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
        data = self.cleaned_data if self.is_bound else {}
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
        data = self.cleaned_data if self.is_bound else {}
        parts = []
        for name, f in self.fields.items():
            value = data.get(name)
            if value not in (None, ""):
                parts.append(f"{f.label} {value}")
        return "；".join(parts)


def journal(request, dataset_id):
    """序时账: every line in date order with filters, paged."""
    dataset = books.get_dataset_for_user(request.user, dataset_id)
    fields = set(JournalForm.base_fields)
    form = JournalForm(request.GET if fields & set(request.GET) else None)
    if form.is_bound:
        form.is_valid()
    flt = form.journal_filter()
    if wants_xlsx(request):
        head, rows = books.journal_export_rows(dataset, flt)
        if head.paging.total > xlsx_export.EXPORT_MAX_ROWS:
            return too_large(request, head.paging.total)
        sheet = books.journal_sheet(dataset, head, rows, form.description())
        return xlsx_export.response(sheet, f"{_file_stem(dataset)}-序时账.xlsx", f"journal-{dataset.pk}.xlsx")
    result = books.journal(dataset, flt, _page(request))
    return render(request, "ledger/books/journal.html", _context(dataset, form=form, journal=result))
