from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "jingshen.finance"
    verbose_name = "穿透式监督"
