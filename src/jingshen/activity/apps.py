from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "jingshen.activity"
    verbose_name = "操作日志"
