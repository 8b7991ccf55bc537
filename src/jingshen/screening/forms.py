"""The screening pages' POST forms: bounded fields, so that no submitted value reaches a
service or the database unchecked (a 101-character name or a NUL byte would make
PostgreSQL refuse the row with a 500)."""

from django import forms

from jingshen import querystring


class CodeListField(forms.MultipleChoiceField):
    """Rule codes (checkboxes): at most 1,000, each at most 40 characters; whether each one
    exists is ``start_run``'s to say (it names the unknown ones)."""

    def validate(self, value):
        if len(value) > 1000 or any(len(code) > 40 or "\x00" in code for code in value):
            raise forms.ValidationError("提交的规则编号无效，请刷新页面后重试。")


class StartRunForm(forms.Form):
    org = querystring.text("单位", max_length=40)
    year = forms.IntegerField(label="会计年度", min_value=querystring.YEARS[0], max_value=querystring.YEARS[1],
                              error_messages={"required": "请选择会计年度。"})
    rules = CodeListField(label="规则", required=False)
    choosing_rules = querystring.text("选择规则", max_length=10)
    engine = forms.ChoiceField(label="筛查引擎", required=False, choices=[("duckdb", "本机（DuckDB）"), ("spark", "Spark 集群")])


class RuleParamForm(forms.Form):
    preset = querystring.text("预设", max_length=40)
    clear = querystring.text("恢复默认", max_length=10)
    rule = querystring.text("规则", max_length=32)
    param = querystring.text("参数", max_length=64)
    value = querystring.text("取值", max_length=500, strip=False)
    note = querystring.text("依据或说明", max_length=300)


class CustomRuleForm(forms.Form):
    """The custom rule editor. Values are checked for size here; their meaning (category,
    weight, SQL) by ``services.save_custom_rule`` and ``custom.dry_run``."""

    name = querystring.text("规则名称", max_length=100)
    category = querystring.text("类别", max_length=8)
    level = querystring.text("级别", max_length=8)
    severity = querystring.text("风险等级", max_length=4)
    weight = querystring.text("权重", max_length=20)
    description = querystring.text("规则逻辑", max_length=5000)
    explanation = querystring.text("疑点说明模板", max_length=500)
    basis = querystring.text("依据", max_length=300)
    sql = querystring.text("SQL", max_length=20000, strip=False)
    enabled = forms.BooleanField(label="启用", required=False)
    dataset = querystring.integer("试运行数据集", 1, 2**31 - 1)
    action = querystring.text("操作", max_length=10)

    def problems(self) -> str:
        return "；".join(f"{self.fields[n].label}：{''.join(e)}" for n, e in self.errors.items())
