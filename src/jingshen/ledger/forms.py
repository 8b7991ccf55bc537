from django import forms

from jingshen.ledger.models import ImportKind

MAX_UPLOAD_MB = 512


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="数据类型", choices=ImportKind.choices)
    file = forms.FileField(label="文件", help_text="CSV（UTF-8 或 GBK/GB18030）、XLSX、XLS；金蝶凭证引出文件（DBF 等）；用友 XML 凭证")
    org = forms.ModelChoiceField(label="单位", queryset=None, required=False, empty_label="按文件中的「单位编码」列",
                                 to_field_name="code")
    fiscal_year = forms.IntegerField(label="会计年度", required=False, min_value=1990, max_value=2100,
                                     help_text="文件中没有「会计年度」列时填写")
    mapping = forms.ModelChoiceField(label="转换模板", queryset=None, required=False, empty_label="自动识别列名",
                                     help_text="导出格式无法自动识别时，可在导入任务页上对应一次列名并保存为转换模板")
    skip_bad_rows = forms.BooleanField(label="跳过有错误的行，导入其余各行（数据集标记为部分导入）", required=False)
    create_accounts = forms.BooleanField(label="科目表中没有的明细科目自动新增（仅凭证）", required=False)
    merge = forms.BooleanField(label="合并到已有版本（仅凭证）：只含部分月份的导出选此项，同号凭证以新导入的为准，其余凭证保留",
                               required=False)

    def __init__(self, *args, orgs, mappings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["mapping"].queryset = mappings
        self.fields["mapping"].label_from_instance = lambda m: f"{m.name}（{m.get_kind_display()}）"
        self.fields["org"].label_from_instance = lambda o: f"{o.code} {o.name}"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(f"文件「{upload.name}」为空（0 字节）。")
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(f"文件超过 {MAX_UPLOAD_MB} MB，请拆分后上传，或由管理员在命令行导入。")
        return upload

    def clean(self):
        data = super().clean()
        if data.get("kind") == ImportKind.ACCOUNTS and not data.get("org"):
            self.add_error("org", "导入科目表时请选择单位。")
        if data.get("mapping") and data["mapping"].kind != data.get("kind"):
            self.add_error("mapping", "转换模板的数据类型与所选数据类型不一致。")
        if data.get("merge") and data.get("kind") != ImportKind.VOUCHERS:
            self.add_error("merge", "只有凭证可以合并到已有版本；科目余额和科目表每次导入即为完整的一版。")
        return data


class MappingForm(forms.Form):
    """A conversion template from the mapping page: a name and, for each field of the import,
    the header of the file's column (``field-<name>``), bounded like the model's columns."""

    name = forms.CharField(label="模板名称", required=False, max_length=100)

    def __init__(self, *args, import_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        for f in import_fields:
            self.fields[f"field-{f.name}"] = forms.CharField(label=f.name, required=False, max_length=200)

    def choices(self) -> dict[str, str]:
        return {key.removeprefix("field-"): value for key, value in self.cleaned_data.items() if key.startswith("field-")}

    def problems(self) -> str:
        return "；".join(f"{self.fields[n].label}：{''.join(e)}" for n, e in self.errors.items())


class AccountRolesForm(forms.Form):
    """The chart page's role choices: ``role-<account code>`` → an account role or '' (none),
    for the unit's accounts. Only the accounts submitted are in ``choices()``; a submitted
    account the unit does not have is an error."""

    def __init__(self, data, *, codes, roles):
        super().__init__(data)
        self.submitted = [key.removeprefix("role-") for key in data if key.startswith("role-")]
        for code in codes:
            self.fields[f"role-{code}"] = forms.ChoiceField(label=code, required=False, choices=[("", "无"), *roles])

    def clean(self):
        data = super().clean()
        if any(f"role-{code}" not in self.fields for code in self.submitted):
            raise forms.ValidationError("提交的科目或角色无效，请刷新页面后重试。")
        return data

    def choices(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"role-{code}", "") for code in self.submitted}
