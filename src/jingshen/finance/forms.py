from decimal import Decimal

from django import forms

from jingshen import querystring
from jingshen.finance.enterprises import DEFAULT_THRESHOLD, SORTS
from jingshen.finance.models import AssetStatus
from jingshen.finance.services import FIRST_YEAR


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
