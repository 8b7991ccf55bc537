from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "jingshen.operations"
    verbose_name = "运维"
