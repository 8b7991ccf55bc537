from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "jingshen.knowledge"
    verbose_name = "知识库"

    def ready(self):
        from jingshen.knowledge import search, signals

        # the search index follows every knowledge write (knowledge/signals.py)
        signals.content_changed.connect(search.on_content_changed, dispatch_uid="knowledge.search.index")
