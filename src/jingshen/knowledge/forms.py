"""The 法规库 pages' forms: the list's filters (query string) and the upload (POST), bounded
like every other form (querystring.py)."""

from django import forms

from jingshen import querystring
from jingshen.knowledge import importer
from jingshen.knowledge.models import RegulationLevel, RegulationStatus


class RegulationQuery(querystring.QueryForm):
    level = querystring.choice("层级", RegulationLevel.choices)
    status = querystring.choice("状态", RegulationStatus.choices)
    issuer = querystring.text("制定机关", max_length=200)
    year = querystring.year("年度")
    page = querystring.page()


class UploadForm(forms.Form):
    file = forms.FileField(label="正文文件", help_text=".docx、.md 或 .txt（UTF-8 或 GB18030/GBK），每条以「第一条」「第二条」……开头")
    name = forms.CharField(label="法规名称", max_length=200)
    edition = forms.CharField(label="版本", max_length=100, help_text="如 2021年修正、2017年版 或 2021-12-24；同一法规的每个版本分别导入")
    doc_no = querystring.text("文号", max_length=100)
    issuer = querystring.text("制定机关", max_length=200)
    level = forms.ChoiceField(label="层级", choices=RegulationLevel.choices, initial=RegulationLevel.UNIT)
    org = forms.ChoiceField(label="发布单位")
    edition_date = forms.DateField(label="版本日期", required=False, error_messages={"invalid": "日期格式应为 YYYY-MM-DD。"})
    effective_on = forms.DateField(label="施行日期", required=False, error_messages={"invalid": "日期格式应为 YYYY-MM-DD。"})
    gist = forms.BooleanField(label="条文是我们撰写的要点，不是正式文本", required=False)

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["org"].choices = [(o.code, f"{o.code} {o.name}") for o in orgs]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(f"文件「{upload.name}」为空（0 字节）。")
        if upload.size > importer.MAX_BYTES:
            raise forms.ValidationError(f"文件超过 {importer.MAX_BYTES // 1024 // 1024} MB，不像是一份法规正文。")
        return upload

    def clean(self):
        data = super().clean()
        for name in ("name", "edition"):
            if "\x00" in data.get(name, ""):
                self.add_error(name, "含有无效字符。")
        return data


class RepealForm(forms.Form):
    replaced_by = forms.IntegerField(label="替代它的法规", required=False, min_value=1)
