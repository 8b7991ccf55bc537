"""Query-string parameters: the one way views read them.

A page view that reads its query string declares a ``QueryForm`` with ``@query(FormClass)``;
the decorator binds the form to ``request.GET``, validates it and hands it to the view as
``request.query``. The view reads ``request.query.value(name)``: the cleaned value, or the
field's default when the parameter is absent or invalid. An invalid value never reaches a
query: the page is shown with a Chinese message saying which filter was ignored and why
(or beside the field, for the fields a page lists in ``QueryForm.inline_errors``). Fields are bounded: integers have a range, amounts are ``DECIMAL(18,2)`` (no NaN,
no infinity), text has a maximum length, choices are a closed list.

The API does the same with DRF: ``QueryParams`` (a serializer) declared on the view as
``query_serializer`` and ``BoundedLimitOffsetPagination``; a bad value answers 400 with a
Chinese ``detail``.

No other module reads ``request.GET`` or ``request.query_params`` by name
(tests/test_hostile_input.py checks the source, and reads each view's declared parameter
names to request it with hostile values).
"""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.pagination import LimitOffsetPagination

MAX_PAGE = 1_000_000
MAX_TEXT = 100
YEARS = (1990, 2100)
AMOUNT_LIMIT = Decimal("9999999999999999.99")  # DECIMAL(18,2)


# --- fields -------------------------------------------------------------------------------------------


def integer(label: str, low: int, high: int, default: int | None = None) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=low, max_value=high, initial=default)


def page() -> forms.IntegerField:
    return integer("页码", 1, MAX_PAGE, 1)


def period(label: str = "期间", default: int | None = None) -> forms.IntegerField:
    return integer(label, 1, 12, default)


def year(label: str = "会计年度") -> forms.IntegerField:
    return integer(label, *YEARS)


def text(label: str, max_length: int = MAX_TEXT, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=max_length, **kwargs)


class AmountField(forms.DecimalField):
    """An amount in yuan: two decimals at most, thousands separators allowed, within
    DECIMAL(18,2); NaN and infinity are refused (by DecimalField)."""

    def __init__(self, label: str, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 10}))
        kwargs.setdefault("min_value", -AMOUNT_LIMIT)
        kwargs.setdefault("max_value", AMOUNT_LIMIT)
        super().__init__(label=label, required=False, max_digits=18, decimal_places=2, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace("，", "").strip()
        return super().to_python(value)


def choice(label: str, choices, default: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False, choices=[("", "")] + list(choices), initial=default)


# --- forms --------------------------------------------------------------------------------------------


class QueryForm(forms.Form):
    """A view's query-string parameters. Always bound: an absent parameter is its default."""

    inline_errors: frozenset[str] = frozenset()  # fields whose errors the page shows beside them

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)
        self.is_valid()

    def value(self, name: str):
        """The parameter's cleaned value; its default when absent, empty or invalid."""
        value = self.cleaned_data.get(name)
        return self.fields[name].initial if value in (None, "") else value

    def given(self, name: str) -> bool:
        """Whether the parameter was given with a valid, non-empty value."""
        return self.cleaned_data.get(name) not in (None, "")

    def problems(self) -> list[str]:
        """One Chinese sentence per invalid parameter (not those shown beside their field)."""
        out = []
        for name, errors in self.errors.items():
            if name in self.inline_errors:
                continue
            label = self.fields[name].label if name in self.fields else "筛选条件"
            given = str(self.data.get(name, ""))
            given = given if len(given) <= 40 else given[:40] + "…"
            out.append(f"{label}“{given}”无效：{''.join(errors)}已忽略该条件。")
        return out


class ExportForm(QueryForm):
    """Pages that also answer as a workbook (``?format=xlsx``)."""

    format = choice("格式", [("xlsx", "XLSX")])

    def wants_xlsx(self) -> bool:
        return self.value("format") == "xlsx"


def query(form_class: type[QueryForm]):
    """Declare and parse a view's query string (see the module docstring). An export
    (``?format=xlsx``) with an invalid parameter is never made: the user is sent back to the
    page, which says what was wrong."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            form = form_class(request.GET)
            request.query = form
            if form.errors and isinstance(form, ExportForm) and form.wants_xlsx():
                from jingshen.xlsx_export import back_to_page

                return back_to_page(request)
            if not request.headers.get("HX-Request"):
                for problem in form.problems():
                    messages.error(request, problem)
            return view(request, *args, **kwargs)

        wrapper.query_form = form_class
        return wrapper

    return decorate


def posts(form_class: type[forms.Form]):
    """Declare the form a view binds to ``request.POST`` (the view binds and validates it
    itself, as it may need arguments), so that tests know the fields it reads."""

    def decorate(view):
        view.post_form = form_class
        return view

    return decorate


# --- API ----------------------------------------------------------------------------------------------


def error_detail(errors: dict) -> str:
    """A serializer's errors as one Chinese sentence naming each parameter (nested errors of a
    list or an object flattened into it)."""
    def texts(messages) -> list[str]:
        if isinstance(messages, dict):
            return [t for key, m in messages.items() for t in (f"第 {int(key) + 1} 项：{x}" if isinstance(key, int) else f"{key}：{x}"
                                                                 for x in texts(m))]
        if isinstance(messages, (list, tuple)):
            return [t for m in messages for t in texts(m)]
        return [str(messages)]

    return "；".join(f"参数 {name}：{'；'.join(texts(messages))}" for name, messages in errors.items())


class QueryParams(serializers.Serializer):
    """An API view's query parameters (``query_serializer`` on the view)."""

    @classmethod
    def parse(cls, request) -> dict:
        """The validated parameters, or ParseError (400) with a Chinese ``detail``."""
        params = cls(data=request.query_params)
        if not params.is_valid():
            raise ParseError(detail=error_detail(params.errors))
        return params.validated_data


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """LimitOffsetPagination that refuses, with 400 and a Chinese ``detail``, a limit or
    offset that is not a whole number in range (DRF itself ignores bad values, and passes a
    20-digit offset to the database, which overflows)."""

    default_limit = 100
    max_limit = 1000
    max_offset = 10**9

    def _bounded(self, request, name: str, low: int, high: int, default):
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        field = serializers.IntegerField(min_value=low, max_value=high)
        try:
            return field.run_validation(raw)
        except serializers.ValidationError as exc:
            raise ParseError(detail=error_detail({name: exc.detail})) from None

    def get_limit(self, request):
        return self._bounded(request, self.limit_query_param, 1, self.max_limit, self.default_limit)

    def get_offset(self, request):
        return self._bounded(request, self.offset_query_param, 0, self.max_offset, 0)

    def get_schema_operation_parameters(self, view):
        """The bounds in the OpenAPI schema too (docs/api.md)."""
        params = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: (1, self.max_limit), self.offset_query_param: (0, self.max_offset)}
        for param in params:
            if param["name"] in bounds:
                low, high = bounds[param["name"]]
                param["schema"] = {**param["schema"], "minimum": low, "maximum": high}
        return params


def declare(form_class: type[forms.Form], fields: dict[str, forms.Field]) -> None:
    """Add fields whose names are not identifiers (``from``, ``to`` …) to a form class, so
    that its subclasses inherit them too."""
    form_class.base_fields.update(fields)
    form_class.declared_fields.update(fields)


class PeriodRangeForm(ExportForm):
    """``?from=&to=``: a range of periods 1–12 (swapped when given the wrong way round)."""

    def periods(self) -> tuple[int, int]:
        first, last = self.value("from"), self.value("to")
        return (first, last) if first <= last else (last, first)


declare(PeriodRangeForm, {"from": period("起始期间", 1), "to": period("截止期间", 12)})
