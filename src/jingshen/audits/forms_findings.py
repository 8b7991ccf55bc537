"""The 疑点核实 and 审计发现 pages' query strings and POST forms (bounded fields, querystring.py)."""

from django import forms

from jingshen import querystring
from jingshen.audits.models import VerificationStatus

STATUS_CHOICES = list(VerificationStatus.choices)


class FlagListQuery(querystring.QueryForm):
    """The project flag list's filters."""

    rule = querystring.text("规则", max_length=40)
    status = querystring.choice("核实状态", STATUS_CHOICES)
    assigned = querystring.text("核实人", max_length=150)
    page = querystring.page()


class FindingListQuery(querystring.ExportForm):
    page = querystring.page()


class VerifyForm(forms.Form):
    """On a flag or a verification: assign it, record its verification, or attach it to a finding."""

    op = forms.ChoiceField(label="操作", choices=[("assign", "分派"), ("verify", "核实"), ("attach", "归入审计发现")])
    assignee = querystring.text("核实人", max_length=150)
    status = querystring.choice("核实状态", STATUS_CHOICES)
    reason = querystring.text("排除理由", max_length=5000)
    note = querystring.text("核实说明", max_length=5000)
    finding = forms.IntegerField(label="审计发现", required=False, min_value=1, max_value=2**62)


class FindingForm(forms.Form):
    problem_type = forms.IntegerField(label="问题类型", min_value=1, max_value=2**62, error_messages={"required": "请选择问题类型。"})
    org = querystring.text("被审计单位", max_length=40)
    title = querystring.text("问题标题", max_length=200)
    amount = querystring.AmountField("涉及金额")
    description = querystring.text("问题描述", max_length=5000)
    basis = querystring.text("定性依据", max_length=5000)
    citations = querystring.text("引用法规条款", max_length=16000)
    recommendation = querystring.text("审计建议", max_length=5000)
    vouchers = querystring.text("涉及凭证", max_length=5000)
    verification = forms.IntegerField(label="疑点核实", required=False, min_value=1, max_value=2**62)
