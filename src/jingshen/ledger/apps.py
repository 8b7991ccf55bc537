from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "jingshen.ledger"
    verbose_name = "数据采集与查账"
