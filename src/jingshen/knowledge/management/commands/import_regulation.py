import datetime

from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand
from jingshen.knowledge import services
from jingshen.knowledge.models import RegulationLevel
from jingshen.orgs.models import Org


def _date(text: str | None, option: str) -> datetime.date | None:
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} 的值“{text}”不是有效日期，格式应为 YYYY-MM-DD。") from None


class Command(JingshenCommand):
    help = (
        "导入一部法规的一个版本到法规库：读取 .md、.txt（UTF-8 或 GB18030/GBK）或 .docx 正文，自动拆分章、节、条和项。"
        "全部成功才写入，任何错误都不写入。同名法规已有现行版本时，原版本标记为已修订。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="法规正文文件（.md、.txt 或 .docx）")
        parser.add_argument("--name", required=True, help="法规名称，如 中华人民共和国工会法")
        parser.add_argument("--edition", required=True, help="版本，如 2021年修正 或 2021-12-24")
        parser.add_argument("--doc-no", default="", help="文号，如 总工办发〔2017〕32号")
        parser.add_argument("--issuer", default="", help="制定机关，如 全国人民代表大会常务委员会")
        parser.add_argument("--level", default=RegulationLevel.UNIT.label,
                            help=f"层级：{'、'.join(RegulationLevel.labels)}（或其代码 {'/'.join(RegulationLevel.values)}），默认本单位制度")
        parser.add_argument("--org", help="发布单位的单位编码（默认最上级单位）")
        parser.add_argument("--edition-date", help="版本日期（YYYY-MM-DD），用于判断新旧版本")
        parser.add_argument("--effective-on", help="施行日期（YYYY-MM-DD）")
        parser.add_argument("--gist", action="store_true", help="条文是我们撰写的要点，不是正式文本（页面上明确标注）")

    def handle(self, file, name, edition, doc_no, issuer, level, org, edition_date, effective_on, gist, **options):
        if org:
            unit = Org.objects.filter(code=org).first()
            if unit is None:
                raise CommandError(f"单位编码「{org}」不存在。")
        else:
            unit = services.root_unit()
        result = services.import_regulation(
            None, file, name=name, edition=edition, doc_no=doc_no, issuer=issuer, level=level, org=unit,
            edition_date=_date(edition_date, "--edition-date"), effective_on=_date(effective_on, "--effective-on"), gist=gist,
        )
        reg = result.regulation
        self.stdout.write(f"导入完成：{result.summary()}")
        self.stdout.write(f"  发布单位：{unit.name}（{unit.code}）  层级：{reg.get_level_display()}  状态：{reg.get_status_display()}  编号：{reg.pk}")
        for chapter in result.parsed.chapters:
            count = sum(1 for a in result.parsed.articles if a.chapter == chapter)
            self.stdout.write(f"  {chapter}：{count} 条")
