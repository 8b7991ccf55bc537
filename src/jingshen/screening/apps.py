from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "jingshen.screening"
    verbose_name = "疑点筛查"
