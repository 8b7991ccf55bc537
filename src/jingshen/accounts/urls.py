from django.contrib.auth import views as auth_views
from django.urls import path

from jingshen.accounts import views, views_users
from jingshen.accounts.forms import LoginForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    # 用户管理 (综合管理); "new" is a reserved username (accounts.services.check_username)
    path("users/", views_users.user_list, name="user_list"),
    path("users/new/", views_users.user_create, name="user_create"),
    path("users/<str:username>/", views_users.user_detail, name="user_detail"),
    path("users/<str:username>/edit/", views_users.user_edit, name="user_edit"),
    path("users/<str:username>/active/", views_users.user_set_active, name="user_set_active"),
    path("users/<str:username>/reset-password/", views.reset_password, name="user_reset_password"),
]
