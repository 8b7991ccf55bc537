from django.apps import AppConfig


class AdminCenterConfig(AppConfig):
    name = "jingshen.admin_center"
    verbose_name = "综合管理"
