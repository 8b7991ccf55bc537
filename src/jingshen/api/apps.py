from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "jingshen.api"
    verbose_name = "接口"
