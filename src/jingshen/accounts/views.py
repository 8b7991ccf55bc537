"""修改密码 (every user)."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import reverse_lazy

from jingshen.accounts import services
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

