"""修改密码 (every user) and 重置密码 (系统管理员, on the unit page's user list)."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from jingshen.accounts import services
from jingshen.accounts.access import get_managed_user
from jingshen.accounts.forms import PasswordChangeForm


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (login required, CSRF, passwords kept out of error reports) with our form;
    the write goes through ``services.change_password``."""

    form_class = PasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("portal:home")
    title = "修改密码"

    def form_valid(self, form):
        services.change_password(self.request.user, form.cleaned_data["new_password1"])
        # the password's hash signs the session: keep this one, the others are now invalid
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, "密码已修改。您在其他设备或浏览器上的登录已失效。")
        return redirect(self.get_success_url())


@require_POST
@never_cache
@sensitive_post_parameters()
@sensitive_variables("password")
def reset_password(request, username):
    """重置密码: a new generated password for a user of a unit the administrator manages, shown
    once on this page (never stored, never logged). Foreign users answer 404."""
    target = get_managed_user(request.user, username)
    try:
        password = services.reset_password(request.user, target)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("user_detail", target.username)
    return render(request, "accounts/password_reset_done.html", {"target": target, "password": password})
