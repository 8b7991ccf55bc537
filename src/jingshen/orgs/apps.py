from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "jingshen.orgs"
    verbose_name = "单位"
