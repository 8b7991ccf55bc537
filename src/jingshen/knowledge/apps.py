from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_rule_citations(sender, using="default", **kwargs):
    """After ``migrate``: the rule pack's basis lines as citations (knowledge.citations.sync_rules)."""
    from django.db import connections

    from jingshen.knowledge import citations
    from jingshen.knowledge.models import Citation

    if Citation._meta.db_table in connections[using].introspection.table_names():
        citations.sync_rules()


class KnowledgeConfig(AppConfig):
    name = "jingshen.knowledge"
    verbose_name = "知识库"

    def ready(self):
        from jingshen.knowledge import citations  # noqa: F401 (receives signals.content_changed)
        from jingshen.knowledge import search, signals

        post_migrate.connect(_sync_rule_citations, sender=self)
        # the search index follows every knowledge write (knowledge/signals.py)
        signals.content_changed.connect(search.on_content_changed, dispatch_uid="knowledge.search.index")
