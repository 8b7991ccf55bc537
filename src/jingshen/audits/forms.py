"""The audit pages' POST forms: bounded fields (no submitted value reaches a service unchecked)."""

from django import forms

from jingshen import querystring


class CodesField(forms.MultipleChoiceField):
    """Unit codes (checkboxes): at most 500, each at most 40 characters; whether the user may
    audit each one is scope's to say (the view resolves them, 404 for a foreign one)."""

    def validate(self, value):
        if not value:
            raise forms.ValidationError(self.error_messages["required"])
        if len(value) > 500 or any(len(code) > 40 or "\x00" in code for code in value):
            raise forms.ValidationError("提交的单位编码无效，请刷新页面后重试。")


class ProjectForm(forms.Form):
    code = querystring.text("项目编号", max_length=50)
    name = querystring.text("项目名称", max_length=200)
    audit_type = forms.IntegerField(label="审计类型", min_value=1, error_messages={"required": "请选择审计类型。"})
    units = CodesField(label="被审计单位", error_messages={"required": "请选择被审计单位。"})
    years = forms.MultipleChoiceField(label="审计年度", error_messages={"required": "请选择审计年度。"})
    planned_start = forms.DateField(label="计划开始", error_messages={"required": "请填写计划开始日期。", "invalid": "日期格式应为 YYYY-MM-DD。"})
    planned_end = forms.DateField(label="计划结束", error_messages={"required": "请填写计划结束日期。", "invalid": "日期格式应为 YYYY-MM-DD。"})
    notice_days = forms.IntegerField(label="通知书提前送达天数", min_value=0, max_value=30, initial=3)
    leader = querystring.text("组长", max_length=150)
    lead_auditor = querystring.text("主审", max_length=150)
    members = forms.MultipleChoiceField(label="成员", required=False)
    hours = forms.IntegerField(label="每人计划工时", min_value=0, max_value=10000, initial=40)

    def __init__(self, *args, years=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["years"].choices = [(str(y), str(y)) for y in years]
        self.fields["members"].choices = [(u.username, u.username) for u in staff]


class AdvanceForm(forms.Form):
    to_stage = querystring.text("下一阶段", max_length=16)
    note = querystring.text("说明", max_length=500)


class AdoptForm(forms.Form):
    dataset = forms.IntegerField(label="数据集", min_value=1)


class AdoptBudgetForm(forms.Form):
    budget = forms.IntegerField(label="预算", min_value=1, max_value=2**63 - 1)


class RunForm(forms.Form):
    year = forms.IntegerField(label="会计年度", min_value=querystring.YEARS[0], max_value=querystring.YEARS[1])


class PlanForm(forms.Form):
    objectives = querystring.text("审计目标", max_length=20000, strip=False)
    key_matters = querystring.text("审计重点", max_length=20000, strip=False)
    procedures = querystring.text("审计方法和步骤", max_length=20000, strip=False)
    assignments = querystring.text("人员分工", max_length=20000, strip=False)


class RequestForm(forms.Form):
    org = querystring.text("被审计单位", max_length=40)
    title = querystring.text("标题", max_length=200)
    items = querystring.text("调查事项和所需资料", max_length=20000, strip=False)
    due_date = forms.DateField(label="答复期限", error_messages={"required": "请填写答复期限。", "invalid": "日期格式应为 YYYY-MM-DD。"})


class AnswerForm(forms.Form):
    answer = querystring.text("答复", max_length=20000, strip=False)


class RectifyForm(forms.Form):
    action = forms.ChoiceField(label="操作", choices=[(a, a) for a in ("submit", "accept", "return", "remind", "deadline")])
    measures = querystring.text("整改措施和结果", max_length=20000, strip=False)
    owner = querystring.text("整改责任人", max_length=100)
    note = querystring.text("退回理由", max_length=500)
    deadline = forms.DateField(label="整改期限", required=False, error_messages={"invalid": "日期格式应为 YYYY-MM-DD。"})


class DraftForm(forms.Form):
    deadline = forms.DateField(label="反馈期限", error_messages={"required": "请填写反馈期限。", "invalid": "日期格式应为 YYYY-MM-DD。"})


class HoursForm(forms.Form):
    work_date = forms.DateField(label="日期", error_messages={"required": "请填写日期。", "invalid": "日期格式应为 YYYY-MM-DD。"})
    hours = querystring.text("工时（小时）", max_length=10)
    description = querystring.text("工作内容", max_length=200)
