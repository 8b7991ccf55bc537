from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "jingshen.portal"
    verbose_name = "门户"
