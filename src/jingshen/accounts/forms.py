from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.views.decorators.debug import sensitive_variables

from jingshen import querystring
from jingshen.accounts.roles import RoleCode


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    username = forms.CharField(label="用户名", widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """修改密码: Django's form (current password checked, the password policy applied to the new
    one, confirmation), in Chinese, and the new password must differ from the current one."""

    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": "当前密码不正确，请重新输入。",
        "password_mismatch": "两次输入的新密码不一致。",
        "password_unchanged": "新密码不能与当前密码相同。",
    }
    old_password = forms.CharField(
        label="当前密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1, new_password2 = auth_forms.SetPasswordMixin.create_password_fields(label1="新密码", label2="确认新密码")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password2"].help_text = "再输入一次新密码。"
        for field in self.fields.values():
            field.error_messages["required"] = "请填写此项。"

    @sensitive_variables("old", "new")
    def clean(self):
        # SetPasswordForm.clean with the policy's messages on the new password, not on its
        # confirmation, where the user would look for them last
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        cleaned = forms.Form.clean(self)
        old, new = cleaned.get("old_password"), cleaned.get("new_password1")
        if old and new and old == new and "new_password1" not in self.errors:
            error = forms.ValidationError(self.error_messages["password_unchanged"], code="password_unchanged")
            self.add_error("new_password1", error)
        return cleaned


# --- 用户管理 (accounts/views_users.py) -----------------------------------------------------------------

USER_SORTS = [
    ("username", "用户名"),
    ("-username", "用户名（倒序）"),
    ("name", "姓名"),
    ("-name", "姓名（倒序）"),
    ("org", "单位"),
    ("-org", "单位（倒序）"),
    ("-last_login", "最近登录"),
    ("last_login", "最近登录（最早在前）"),
    ("-date_joined", "创建时间"),
    ("date_joined", "创建时间（最早在前）"),
]


class UserListQuery(querystring.ExportForm):
    org = querystring.text("单位（含下级）", max_length=32)
    role = querystring.choice("角色", RoleCode.choices)
    active = querystring.choice("状态", [("1", "在用"), ("0", "已停用")])
    q = querystring.text("用户名或姓名", max_length=50)
    sort = querystring.choice("排序", USER_SORTS, "username")
    page = querystring.page()


def _required(field: forms.Field, message: str) -> forms.Field:
    field.error_messages["required"] = message
    return field


class UserFields(forms.Form):
    """The fields an administrator sets on an account; ``org`` offers the units they manage."""

    display_name = forms.CharField(label="姓名", max_length=50, required=False, strip=True)
    org = _required(forms.ChoiceField(label="所属单位", choices=()), "请选择所属单位。")
    roles = _required(forms.MultipleChoiceField(label="角色", choices=RoleCode.choices, widget=forms.CheckboxSelectMultiple),
                      "至少选择一个角色。")

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [("", "请选择")] + [(o.code, f"{'　' * o.depth}{o.name}（{o.code}）") for o in units]
        self.fields["roles"].error_messages["invalid_choice"] = "未知角色。"
        self.fields["org"].error_messages["invalid_choice"] = "该单位不在您的管理范围内。"
        self.fields["display_name"].error_messages["max_length"] = "姓名不能超过 50 个字符。"


class UserCreateForm(UserFields):
    username = _required(forms.CharField(label="用户名", max_length=150, strip=True,
                                         help_text="登录时使用，由字母、数字和 @ . + - _ 组成，创建后不能修改。"),
                         "请填写用户名。")
    field_order = ["username", "display_name", "org", "roles"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["max_length"] = "用户名不能超过 150 个字符。"


class UserActiveForm(forms.Form):
    active = forms.ChoiceField(label="状态", choices=[("1", "启用"), ("0", "停用")],
                               error_messages={"required": "缺少操作。", "invalid_choice": "未知操作。"})
