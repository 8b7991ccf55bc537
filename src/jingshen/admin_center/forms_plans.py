"""Forms of 年度审计计划 and 年度统计报表: query strings and POST forms, Chinese labels and
errors, bounded (the services check everything again)."""

import re

from django import forms

from jingshen import querystring
from jingshen.admin_center.forms import Form, date_field
from jingshen.admin_center.plans import DEFAULT_THRESHOLD
from jingshen.admin_center.services import NOTE_MAX
from jingshen.audits.forms import CodesField

YEAR_ERRORS = {"required": "请填写年度。", "invalid": "年度应为四位数字。", "min_value": "年度应在 1990～2100 年之间。",
               "max_value": "年度应在 1990～2100 年之间。"}


class PlanListQuery(querystring.QueryForm):
    year = querystring.year("计划年度")
    page = querystring.page()


class ProposeQuery(querystring.QueryForm):
    year = querystring.year("计划年度")
    threshold = querystring.integer("高风险门槛（风险分）", 0, 100, DEFAULT_THRESHOLD)


class PlanQuery(querystring.ExportForm):
    pass


class StatisticsQuery(querystring.ExportForm):
    year = querystring.year("统计年度")


class FiscalYearsField(forms.CharField):
    """被审计的会计年度: "2025", "2024、2025" or "2024,2025"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault("error_messages", {"required": "请填写审计年度（被审计的会计年度）。"})
        kwargs.setdefault("help_text", "被审计的会计年度，多个用顿号或逗号分隔，如 2024、2025")
        super().__init__(label="审计年度", **kwargs)

    def clean(self, value):
        value = super().clean(value)
        parts = [p for p in re.split(r"[,，、;；\s]+", value) if p]
        if not parts or not all(re.fullmatch(r"\d{4}", p) for p in parts):
            raise forms.ValidationError("审计年度应为四位年份，如 2025 或 2024、2025。")
        return sorted({int(p) for p in parts})


def _year_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1990, max_value=2100, error_messages=YEAR_ERRORS)


def _type_field() -> forms.IntegerField:
    return forms.IntegerField(label="审计类型", min_value=1, max_value=2**31 - 1, error_messages={"required": "请选择审计类型。"},
                              widget=forms.Select)


class OptionalCodes(CodesField):
    def validate(self, value):
        if value:
            super().validate(value)


class ProposeForm(Form):
    """Save the proposal: the chosen units with common defaults (each item is adjusted later)."""

    year = _year_field("计划年度")
    threshold = forms.IntegerField(label="高风险门槛", min_value=0, max_value=100, required=False)
    units = OptionalCodes(label="列入计划的单位", required=False)
    audit_type = _type_field()
    fiscal_years = FiscalYearsField()
    planned_start = date_field("计划开始")
    planned_end = date_field("计划结束")
    note = querystring.text("编制说明", max_length=NOTE_MAX, strip=False, widget=forms.Textarea(attrs={"rows": 4}))


class ItemFields(Form):
    audit_type = _type_field()
    fiscal_years = FiscalYearsField()
    planned_start = date_field("计划开始")
    planned_end = date_field("计划结束")
    reason_text = querystring.text("理由说明", max_length=300)


class ItemAddForm(ItemFields):
    org = forms.CharField(label="被审计单位编码", max_length=32, error_messages={"required": "请填写被审计单位编码。"},
                          widget=forms.TextInput(attrs={"list": "plan-units", "size": 14}))

    field_order = ["org", "audit_type", "fiscal_years", "planned_start", "planned_end", "reason_text"]


class NoteForm(Form):
    note = querystring.text("编制说明", max_length=NOTE_MAX, strip=False, widget=forms.Textarea(attrs={"rows": 5}))


class ReturnForm(Form):
    reason = forms.CharField(label="退回理由", max_length=500, error_messages={"required": "请写明退回修改的理由。"})


class ProjectFromItemForm(Form):
    code = forms.CharField(label="项目编号", max_length=50, error_messages={"required": "请填写项目编号。"})
    name = forms.CharField(label="项目名称", max_length=200, error_messages={"required": "请填写项目名称。"})
    leader = forms.CharField(label="组长", max_length=150, error_messages={"required": "请选择组长。"})
    lead_auditor = querystring.text("主审", max_length=150)
    members = forms.MultipleChoiceField(label="成员", required=False)
    hours = forms.IntegerField(label="每人计划工时", min_value=0, max_value=10000, initial=40)
    notice_days = forms.IntegerField(label="通知书提前送达天数", min_value=0, max_value=30, initial=3)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(u.username, u.username) for u in staff]
