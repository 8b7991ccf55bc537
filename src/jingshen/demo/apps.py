from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "jingshen.demo"
    verbose_name = "演示数据"
