from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "jingshen.knowledge"
    verbose_name = "知识库"
