"""Forms of 综合管理's people pages: query strings (``QueryForm``) and POST forms, all with
Chinese labels and errors, bounded to the model's columns."""

from decimal import Decimal

from django import forms

from jingshen import querystring
from jingshen.admin_center.models import PriorAudit, StaffType, TrainingKind
from jingshen.admin_center.services import MAX_HOURS

def date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, error_messages=DATE_ERRORS,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


DATE_ERRORS = {"invalid": "日期格式应为 YYYY-MM-DD。", "required": "请填写日期。"}
ACTIVE_CHOICES = [("1", "在岗"), ("0", "不在岗"), ("all", "全部")]
STAFF_SORTS = [("org", "单位"), ("-org", "单位（倒序）"), ("name", "姓名"), ("-name", "姓名（倒序）"),
               ("type", "类别"), ("-type", "类别（倒序）"), ("position", "职务"), ("-position", "职务（倒序）"),
               ("updated", "修改时间"), ("-updated", "修改时间（最新在前）")]


class Form(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# --- query strings -----------------------------------------------------------------------------------


class StaffQuery(querystring.ExportForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    staff_type = querystring.choice("类别", StaffType.choices)
    active = querystring.choice("在岗", ACTIVE_CHOICES, default="1")
    name = querystring.text("姓名", max_length=50)
    sort = querystring.choice("排序", STAFF_SORTS, default="org")
    page = querystring.page()


class TrainingQuery(querystring.QueryForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    kind = querystring.choice("形式", TrainingKind.choices)
    year = querystring.year("年度")
    staff = querystring.integer("经审干部", 1, 2**62)
    page = querystring.page()


class HoursQuery(querystring.ExportForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    staff_type = querystring.choice("类别", StaffType.choices)
    active = querystring.choice("在岗", ACTIVE_CHOICES, default="1")
    year = querystring.year("年度")
    page = querystring.page()


class PriorQuery(querystring.QueryForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    year = querystring.year("审计年度")
    audit_type = querystring.integer("审计类型", 1, 2**62)
    source = querystring.choice("来源", PriorAudit.Source.choices)
    page = querystring.page()


class GrantQuery(querystring.QueryForm):
    state = querystring.choice("状态", [("active", "生效中"), ("pending", "未开始"), ("expired", "已过期"),
                                        ("revoked", "已撤销")])
    page = querystring.page()


class NewTrainingQuery(querystring.QueryForm):
    staff = querystring.integer("经审干部", 1, 2**62)


# --- POST forms --------------------------------------------------------------------------------------


class StaffForm(Form):
    org = forms.CharField(label="所在单位编码", max_length=32, error_messages={"required": "请填写所在单位编码。"},
                          widget=forms.TextInput(attrs={"list": "units", "size": 16}))
    name = forms.CharField(label="姓名", max_length=50, error_messages={"required": "请填写姓名。"})
    staff_type = forms.ChoiceField(label="类别", choices=StaffType.choices, error_messages={"required": "请选择类别。"})
    position = querystring.text("职务", max_length=100)
    qualifications = querystring.text("资格与职称", max_length=300)
    phone = querystring.text("联系电话", max_length=30)
    username = querystring.text("关联登录账号（用户名，选填）", max_length=150)
    note = querystring.text("备注", max_length=300)


class ActiveForm(Form):
    active = forms.ChoiceField(label="在岗", choices=[("1", "在岗"), ("0", "不在岗")])
    note = querystring.text("说明", max_length=200)


class TrainingForm(Form):
    staff = forms.IntegerField(label="经审干部", min_value=1, max_value=2**62, error_messages={"required": "请选择经审干部。"},
                               widget=forms.Select)
    kind = forms.ChoiceField(label="形式", choices=TrainingKind.choices, error_messages={"required": "请选择培训形式。"})
    title = forms.CharField(label="名称", max_length=200, error_messages={"required": "请填写培训名称。"})
    organiser = querystring.text("组织单位", max_length=200)
    start_date = date_field("开始日期")
    end_date = date_field("结束日期")
    hours = forms.DecimalField(label="学时", max_digits=6, decimal_places=1, min_value=Decimal(0), max_value=MAX_HOURS,
                               error_messages={"required": "请填写学时。", "invalid": "学时应为数字。",
                                               "min_value": "学时不能为负数。", "max_value": f"学时不能超过 {MAX_HOURS}。",
                                               "max_decimal_places": "学时最多一位小数。", "max_digits": "学时数值过大。",
                                               "max_whole_digits": "学时数值过大。"})
    project = forms.IntegerField(label="所在审计项目（以审代训、交叉互审，选填）", required=False, min_value=1, max_value=2**62,
                                 widget=forms.Select)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "结束日期不能早于开始日期。")
        if data.get("project") and data.get("kind") not in (TrainingKind.LEARNING_BY_AUDITING, TrainingKind.CROSS_AUDIT):
            self.add_error("project", "只有以审代训和交叉互审可以关联审计项目。")
        return data


class PriorForm(Form):
    org = forms.CharField(label="被审计单位编码", max_length=32, error_messages={"required": "请填写被审计单位编码。"},
                          widget=forms.TextInput(attrs={"list": "units", "size": 16}))
    year = forms.IntegerField(label="审计年度", min_value=1990, max_value=2100,
                              error_messages={"required": "请填写审计年度。", "invalid": "审计年度应为年份。",
                                              "min_value": "审计年度不能早于 1990 年。", "max_value": "审计年度不能晚于今年。"})
    audit_type = forms.IntegerField(label="审计类型", min_value=1, max_value=2**62, error_messages={"required": "请选择审计类型。"},
                                    widget=forms.Select)
    report_no = querystring.text("报告文号", max_length=100)
    auditor_org = querystring.text("审计单位编码（选填）", max_length=32,
                                   widget=forms.TextInput(attrs={"list": "units", "size": 16}))


class ImportForm(Form):
    file = forms.FileField(label="文件（CSV 或 XLSX）", error_messages={"required": "请选择要导入的文件。", "empty": "文件为空（0 字节）。",
                                                                  "invalid": "请选择要导入的文件。"})

    MAX_BYTES = 20 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(f"文件「{upload.name}」为空（0 字节）。")
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("文件超过 20 MB。往期审计记录文件通常只有几百行，请检查是否选错了文件。")
        return upload


class GrantForm(Form):
    target = forms.CharField(label="被审计单位编码", max_length=32, error_messages={"required": "请填写被审计单位编码。"},
                             widget=forms.TextInput(attrs={"list": "targets", "size": 16}))
    grantee_org = querystring.text("受托单位编码", max_length=32, widget=forms.TextInput(attrs={"list": "grantee-units", "size": 16}))
    grantee_user = querystring.text("或受托用户（用户名）", max_length=150)
    valid_from = date_field("起始日期")
    valid_until = date_field("截止日期（含当天）")
    purpose = forms.CharField(label="事由", max_length=500, error_messages={"required": "请填写交叉互审的事由。"},
                              widget=forms.TextInput(attrs={"size": 60}))

    def clean(self):
        data = super().clean()
        if bool(data.get("grantee_org")) == bool(data.get("grantee_user")):
            self.add_error("grantee_org", "请填写受托单位编码或受托用户，二者只能选其一。")
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", "截止日期不能早于起始日期。")
        return data


class RevokeForm(Form):
    reason = forms.CharField(label="撤销原因", max_length=300, error_messages={"required": "请填写撤销原因。"})
