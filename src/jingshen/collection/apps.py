from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "jingshen.collection"
    label = "collection"
    verbose_name = "报送计划"
