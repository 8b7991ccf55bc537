from jingshen.commands import JingshenCommand
from jingshen.knowledge import search


class Command(JingshenCommand):
    help = "重建知识库检索索引（法规条文、已发布案例、指引笔记、定性表述）。"

    def handle(self, **options):
        counts = search.reindex()
        parts = "，".join(f"{search.KINDS[kind]} {n:,} 条" for kind, n in counts.items())
        self.stdout.write(f"检索索引已重建：{parts}。")
