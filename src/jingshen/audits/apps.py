from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "jingshen.audits"
    verbose_name = "审计作业"
