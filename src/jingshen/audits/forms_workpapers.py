"""The workpaper pages' POST forms: bounded fields (the services check the content)."""

from django import forms

from jingshen import querystring
from jingshen.audits.workpapers import NOTE_LIMIT, TEXT_LIMIT

DATE_ERRORS = {"invalid": "日期格式应为 YYYY-MM-DD。"}


def long_text(label: str, limit: int = TEXT_LIMIT) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=limit, widget=forms.Textarea)


class WorkpaperForm(forms.Form):
    org = querystring.text("被审计单位", max_length=40)
    index_no = querystring.text("索引号", max_length=30)
    matter = querystring.text("审计事项", max_length=200)
    period_text = querystring.text("所属期间", max_length=100)
    period_from = forms.DateField(label="所属期间起", required=False, error_messages=DATE_ERRORS)
    period_to = forms.DateField(label="所属期间止", required=False, error_messages=DATE_ERRORS)
    procedures = long_text("审计程序")
    conclusion = long_text("审计结论")
    basis = long_text("依据")
    citations = long_text("引用法规条款", 16000)
    prepared_on = forms.DateField(label="编制日期", required=False, error_messages=DATE_ERRORS)


class NoteForm(forms.Form):
    text = long_text("复核意见", NOTE_LIMIT)


class ReplyForm(forms.Form):
    reply = long_text("答复", NOTE_LIMIT)


class EvidenceForm(forms.Form):
    file = forms.FileField(label="文件", required=False, max_length=1000)
    description = querystring.text("说明", max_length=500)


class RemoveEvidenceForm(forms.Form):
    reason = querystring.text("删除原因", max_length=500)


class WorkpaperListForm(querystring.ExportForm):
    """The workpaper list answers as the XLSX workpaper index with ?format=xlsx."""
