from django.contrib.auth import views as auth_views
from django.urls import path

from jingshen.accounts import views
from jingshen.accounts.forms import LoginForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("users/<str:username>/reset-password/", views.reset_password, name="user_reset_password"),
]
