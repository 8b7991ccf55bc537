"""Forms of 单位管理 (orgs/views_manage.py): the list's query string, a unit's fields, the import."""

from django import forms

from jingshen import querystring
from jingshen.orgs.models import Kind, Level

ORG_SORTS = [("path", "按单位树"), ("code", "单位编码"), ("name", "单位名称"), ("-member_count", "会员人数（多在前）")]


class OrgListQuery(querystring.ExportForm):
    q = querystring.text("单位名称或编码", max_length=50)
    level = querystring.choice("层级", Level.choices)
    kind = querystring.choice("单位性质", Kind.choices)
    sort = querystring.choice("排序", ORG_SORTS, "path")
    page = querystring.page()


def _chinese(form: forms.Form) -> None:
    for field in form.fields.values():
        field.error_messages["required"] = f"请填写{field.label}。"
        field.error_messages["invalid_choice"] = f"{field.label}无效，请从列表中选择。"
        field.error_messages["max_length"] = f"{field.label}过长。"


class OrgFields(forms.Form):
    name = forms.CharField(label="单位名称", max_length=200)
    level = forms.ChoiceField(label="层级", choices=Level.choices)
    kind = forms.ChoiceField(label="单位性质", choices=Kind.choices)
    member_count = forms.IntegerField(label="会员人数", required=False, min_value=0, max_value=2_147_483_647,
                                      error_messages={"invalid": "会员人数应为不小于 0 的整数。",
                                                      "min_value": "会员人数应为不小于 0 的整数。",
                                                      "max_value": "会员人数过大。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese(self)


class OrgEditForm(OrgFields):
    parent = forms.ChoiceField(label="上级单位", choices=(), required=False)
    aliases = forms.CharField(
        label="别名", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="其他单位账上对本单位的称呼，如曾用名、简称；多个别名用“、”或“;”分隔，或每行一个。"
                  "上下级对账时按别名识别往来单位；不能与其他单位的编码或名称相同。",
    )

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = list(parents)
        _chinese(self)
        self.fields["parent"].error_messages["invalid_choice"] = "所选上级单位不在您的管理范围内，或是本单位自己及其下级单位。"


class OrgCreateForm(OrgFields):
    code = forms.CharField(label="单位编码", max_length=32, help_text="全省唯一，创建后不能修改，如 4101001")
    field_order = ["code", "name", "level", "kind", "member_count"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _chinese(self)


MAX_IMPORT_MB = 20  # a province's unit tree is a few MB; the CLI takes larger files


class OrgImportForm(forms.Form):
    file = forms.FileField(label="单位文件", help_text="CSV 或 XLSX，列为：单位编码、单位名称、上级单位编码、层级、单位性质、会员人数，可选列别名（多个用“、”分隔）",
                           error_messages={"required": "请选择要导入的文件。", "empty": "文件是空的。",
                                           "invalid": "请选择要导入的文件。"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_MB * 1024 * 1024:
            raise forms.ValidationError(f"文件超过 {MAX_IMPORT_MB} MB，请拆分后导入，或由运维人员用命令 jingshen import orgs 导入。")
        return upload
