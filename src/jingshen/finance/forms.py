import re
from decimal import Decimal

from django import forms

from jingshen import querystring
from jingshen.finance.enterprises import DEFAULT_THRESHOLD, SORTS
from jingshen.finance.models import AssetStatus
from jingshen.finance.services import FIRST_YEAR, check_fund_rules
from jingshen.ledger.roles import AccountRole


class BudgetQuery(querystring.QueryForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    year = querystring.year("预算年度")
    page = querystring.page()


# a unit code typed with the suggestions of the page's <datalist id="import-units">
UNIT_INPUT = forms.TextInput(attrs={"list": "import-units"})


class BudgetPageQuery(querystring.QueryForm):
    project = querystring.integer("审计项目", 1, 2**31 - 1)


class FileImportForm(forms.Form):
    """An upload of one of 穿透式监督's files: not empty, not larger than ``MAX_MB`` (the files are
    small; a larger one is usually the wrong file). Subclasses set the file field's label."""

    MAX_MB = 20
    field_order = ["org", "year", "file"]  # the unit and year a file is for come before it
    file = forms.FileField(label="文件（CSV 或 XLSX）", error_messages={
        "required": "请选择要导入的文件。", "empty": "文件为空（0 字节）。", "invalid": "请选择要导入的文件。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = self.file_label

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(f"文件「{upload.name}」为空（0 字节）。")
        if upload.size > self.MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"文件超过 {self.MAX_MB} MB，请检查是否选错了文件。")
        return upload


class BudgetImportForm(FileImportForm):
    org = forms.CharField(label="单位编码", max_length=32, widget=UNIT_INPUT, error_messages={"required": "请填写预算所属单位的单位编码。"})
    year = forms.IntegerField(label="预算年度", min_value=FIRST_YEAR, max_value=2100,
                              error_messages={"required": "请填写预算年度。", "invalid": "预算年度应为四位年份。",
                                              "min_value": f"预算年度不能早于 {FIRST_YEAR} 年。",
                                              "max_value": "预算年度不能晚于 2100 年。"})
    file_label = "预算表文件（CSV 或 XLSX）"
    MAX_MB = 5



class RegisterQuery(querystring.QueryForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    page = querystring.page()


class CardQuery(querystring.QueryForm):
    status = querystring.choice("状态", AssetStatus.choices)
    q = querystring.text("资产编号或名称", max_length=60)
    page = querystring.page()


class ReconcileQuery(querystring.QueryForm):
    org = querystring.text("单位编码", max_length=32)
    year = querystring.year("会计年度")


class FixedFundCheckForm(forms.Form):
    org = forms.CharField(label="单位编码", max_length=32)
    year = forms.IntegerField(label="会计年度", required=False, min_value=querystring.YEARS[0], max_value=querystring.YEARS[1])
    enabled = forms.BooleanField(label="核对固定资产与固定基金", required=False)


class AssetImportForm(FileImportForm):
    org = forms.CharField(label="单位编码", max_length=32, widget=UNIT_INPUT, error_messages={"required": "请填写资产所属单位的单位编码。"})
    file_label = "资产卡片文件（CSV 或 XLSX）"
    MAX_MB = 50



class CrossLevelQuery(querystring.QueryForm):
    org = querystring.text("上级单位编码", max_length=32)
    year = querystring.year("会计年度")


class PayrollQuery(querystring.QueryForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    year = querystring.year("会计年度")
    page = querystring.page()


class PayrollImportForm(FileImportForm):
    file_label = "工资总额文件（CSV 或 XLSX）"



class EnterpriseQuery(querystring.ExportForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    year = querystring.year("会计年度")
    threshold = querystring.AmountField("预警线（%）", min_value=Decimal("0"), max_value=Decimal("10000"), initial=DEFAULT_THRESHOLD)
    sort = querystring.choice("排序", SORTS, "rate")
    page = querystring.page()


class EnterpriseImportForm(FileImportForm):
    file_label = "企业财务摘要文件（CSV 或 XLSX）"


class InstitutionQuery(querystring.QueryForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    year = querystring.year("预算年度")
    page = querystring.page()


# --- key funds (重点资金) ----------------------------------------------------------------------------

WORD_SEPARATORS = re.compile(r"[\s,，、;；]+")


def words(text: str) -> list[str]:
    """A list typed as words separated by spaces, commas, 、 or semicolons."""
    return [w for w in WORD_SEPARATORS.split(text or "") if w]


class FundForm(forms.Form):
    """A key fund: its name and what decides its lines (services.check_fund_rules validates them)."""

    org = forms.CharField(label="定义单位编码", max_length=32, required=False,
                          help_text="该资金适用于此单位及其下级单位；不填则为您所在单位。")
    name = forms.CharField(label="资金名称", max_length=40, error_messages={"required": "请填写资金名称。"})
    description = forms.CharField(label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    roles = forms.MultipleChoiceField(label="用途科目角色", required=False, choices=AccountRole.choices,
                                      widget=forms.SelectMultiple(attrs={"size": 6}),
                                      error_messages={"invalid_choice": "科目角色“%(value)s”不存在。"})
    accounts = forms.CharField(label="用途科目编码", max_length=400, required=False,
                               help_text="以这些编码开头的科目为该资金的用途科目，如 50205；多个用空格或顿号分隔。")
    keywords = forms.CharField(label="摘要关键词", max_length=400, required=False,
                               help_text="摘要含任一关键词的收支分录归入该资金，如 产改、技能提升；多个用空格或顿号分隔。")
    active = forms.BooleanField(label="启用", required=False, initial=True)

    def clean(self):
        data = super().clean()
        data["accounts"], data["keywords"] = words(data.get("accounts", "")), words(data.get("keywords", ""))
        try:
            check_fund_rules(roles=data.get("roles") or [], accounts=data["accounts"], keywords=data["keywords"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


class TraceQuery(querystring.QueryForm):
    fund = querystring.integer("重点资金", 1, 2**31 - 1)
    org = querystring.text("单位编码", max_length=32)
    year = querystring.year("会计年度")


class FundTagForm(forms.Form):
    fund = forms.IntegerField(label="重点资金", min_value=1, max_value=2**31 - 1, error_messages={"required": "请选择重点资金。"})
    note = forms.CharField(label="说明", max_length=200, required=False)
