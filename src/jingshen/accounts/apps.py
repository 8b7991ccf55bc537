from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jingshen.accounts"
    verbose_name = "用户"
