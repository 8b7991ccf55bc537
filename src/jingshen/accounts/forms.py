from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.views.decorators.debug import sensitive_variables


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
