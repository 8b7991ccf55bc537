"""The filters of the 操作日志 page. Query strings are hostile: every field is validated, and
an invalid one is shown with a Chinese message and left out of the filter."""

import datetime

from django import forms
from django.utils import timezone

from jingshen import querystring

EARLIEST, LATEST = datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)
BAD_DATE = "日期无法识别，应为 YYYY-MM-DD 格式，如 2026-01-31。"


class LogFilterForm(querystring.QueryForm):
    inline_errors = frozenset({"user", "action", "date_from", "date_to"})  # shown beside their field

    user = forms.CharField(label="操作人", required=False, max_length=150,
                           widget=forms.TextInput(attrs={"placeholder": "用户名", "size": 14}),
                           error_messages={"max_length": "用户名不超过 150 个字符。"})
    # a code of those present, offered as a list (``offer``); any other matches nothing
    action = forms.RegexField(label="操作", required=False, max_length=64, regex=r"^[a-z_]+(\.[a-z_]+)*$",
                              widget=forms.Select, error_messages={"max_length": "没有这种操作。", "invalid": "没有这种操作。"})
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                error_messages={"invalid": BAD_DATE})
    date_to = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              error_messages={"invalid": BAD_DATE})
    page = querystring.page()
    page.widget = forms.HiddenInput()  # not part of the filter form: the pager's links carry it

    def offer(self, actions: list[str]) -> None:
        """The action codes the select lists: those present in the entries the user may read."""
        self.fields["action"].widget.choices = [("", "全部"), *((a, a) for a in actions)]

    def _clean_date(self, name):
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(f"日期应在 {EARLIEST} 至 {LATEST} 之间。")
        return value

    def clean_date_from(self):
        return self._clean_date("date_from")

    def clean_date_to(self):
        return self._clean_date("date_to")

    def clean_user(self):
        return self.cleaned_data["user"].strip()

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "截止日期不能早于起始日期。")
        return data

    def filter(self, entries):
        """The entries filtered by the fields that are valid."""
        data = self.cleaned_data
        if data.get("user"):
            entries = entries.filter(actor__username=data["user"])
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        if data.get("date_from"):
            entries = entries.filter(at__gte=_start_of(data["date_from"]))
        if data.get("date_to"):
            entries = entries.filter(at__lt=_start_of(data["date_to"] + datetime.timedelta(days=1)))
        return entries

    @property
    def active(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.inline_errors)


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the platform's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
