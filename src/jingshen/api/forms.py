from django import forms

from jingshen import querystring
from jingshen.api.models import APIKey
from jingshen.orgs.scope import KEY_SCOPES


class KeyForm(forms.Form):
    org = forms.CharField(label="所属单位编码", max_length=32, error_messages={"required": "请填写密钥所属单位的单位编码。"},
                          widget=forms.TextInput(attrs={"list": "key-units", "size": 16}),
                          help_text="密钥可访问该单位及其下级单位，须在您管理的范围内。")
    name = forms.CharField(label="名称", max_length=APIKey._meta.get_field("name").max_length,
                           error_messages={"required": "请填写密钥名称（如对接的系统名称）。"},
                           widget=forms.TextInput(attrs={"size": 40}))
    scopes = forms.MultipleChoiceField(label="权限", choices=[(code, label) for code, (label, _) in KEY_SCOPES.items()],
                                       widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": "请至少选择一项权限。", "invalid_choice": "未知的权限“%(value)s”。"})
    expires_on = forms.DateField(label="有效期至（含当天，可不填）", required=False,
                                 error_messages={"invalid": "日期格式应为 YYYY-MM-DD。"},
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class KeyQuery(querystring.QueryForm):
    page = querystring.page()
