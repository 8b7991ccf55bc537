from django import forms

from jingshen import querystring
from jingshen.collection.models import FileStatus, Frequency, WatchMode


class ScheduleForm(forms.Form):
    org = forms.CharField(label="单位编码", max_length=32, error_messages={"required": "请填写单位编码。"})
    below = forms.BooleanField(label="同时设置全部下级单位", required=False)
    frequency = forms.ChoiceField(label="报送频率", choices=Frequency.choices, initial=Frequency.MONTHLY,
                                  error_messages={"invalid_choice": "报送频率只能是按月、按季或按年。"})
    lag_months = forms.IntegerField(label="期末后第几个月", min_value=1, max_value=12, initial=1,
                                    error_messages={"min_value": "期末后月数应在 1 至 12 之间。", "max_value": "期末后月数应在 1 至 12 之间。",
                                                    "invalid": "期末后月数应为整数。", "required": "请填写期末后月数。"})
    due_day = forms.IntegerField(label="截止日", min_value=1, max_value=28, initial=10,
                                 error_messages={"min_value": "截止日应在 1 日至 28 日之间。", "max_value": "截止日应在 1 日至 28 日之间。",
                                                 "invalid": "截止日应为整数。", "required": "请填写截止日。"})
    starts_on = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                help_text="此前结束的期间不催报；不填为今天。", error_messages={"invalid": "起始日期无效。"})
    contact = forms.CharField(label="报送联系人（用户名）", max_length=150, required=False)
    active = forms.BooleanField(label="启用", required=False, initial=True)


class ScheduleQuery(querystring.QueryForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    page = querystring.page()


class LateQuery(querystring.QueryForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    status = querystring.choice("状态", [("open", "未报送"), ("resolved", "已补报"), ("all", "全部")], "open")
    page = querystring.page()


class WatchFolderForm(forms.Form):
    org = forms.CharField(label="单位编码", max_length=32, error_messages={"required": "请填写单位编码。"})
    path = forms.CharField(label="服务器上的文件夹", max_length=500, required=False,
                           help_text="绝对路径，如 /srv/凭证导出/甲市一区；财务软件（金蝶、用友）把凭证导出到这里。",
                           error_messages={"max_length": "文件夹路径过长（最多 500 个字符）。"})
    mode = forms.ChoiceField(label="导入方式", choices=WatchMode.choices, initial=WatchMode.MERGE, required=False,
                             help_text="按凭证合并：新版本为上一版本加上文件中的凭证，同号凭证以文件为准；整年替换：文件即全年数据。",
                             error_messages={"invalid_choice": "导入方式只能是按凭证合并或整年替换。"})
    active = forms.BooleanField(label="启用", required=False, initial=True)
    clear = forms.BooleanField(label="取消该单位的监控文件夹", required=False)


class WatchQuery(querystring.QueryForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    page = querystring.page()


class WatchFilesQuery(querystring.QueryForm):
    org = querystring.text("单位编码（含下级单位）", max_length=32)
    status = querystring.choice("状态", FileStatus.choices)
    page = querystring.page()


class NilForm(forms.Form):
    org = forms.CharField(label="单位编码", max_length=32)
    year = forms.IntegerField(label="会计年度", min_value=1990, max_value=2100)
    period = forms.IntegerField(label="期间", min_value=1, max_value=12)
    note = forms.CharField(label="说明", max_length=500, required=False)
