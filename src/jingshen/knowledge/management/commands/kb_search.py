import json

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand
from jingshen.knowledge import search
from jingshen.knowledge.models import RegulationLevel, RegulationStatus
from jingshen.querystring import YEARS


class Command(JingshenCommand):
    help = ("检索知识库（法规条文、案例、指引笔记、定性表述），按相关度排序。默认检索全部内容；"
            "--as 用户名 只检索该用户可以查看的内容。")

    def add_arguments(self, parser):
        parser.add_argument("query", metavar="检索内容", help=f"要检索的字词或问题（不超过 {search.MAX_QUERY} 个字）")
        parser.add_argument("--kind", choices=list(search.KINDS), help="类别：" + "、".join(
            f"{k}（{v}）" for k, v in search.KINDS.items()))
        parser.add_argument("--level", choices=RegulationLevel.values, help="法规层级：" + "、".join(
            f"{k}（{v}）" for k, v in RegulationLevel.choices))
        parser.add_argument("--status", choices=RegulationStatus.values, help="法规状态：" + "、".join(
            f"{k}（{v}）" for k, v in RegulationStatus.choices))
        parser.add_argument("--issuer", help="制定机关或发布单位（包含该文字即可）")
        parser.add_argument("--year", type=int, help="年度（法规的版本或施行年度，案例年度）")
        parser.add_argument("--limit", type=int, default=10, help=f"最多显示条数（1–{search.MAX_LIMIT}，默认 10）")
        parser.add_argument("--as", dest="as_user", metavar="用户名", help="以该用户的权限检索（只返回其可查看的内容）")
        parser.add_argument("--json", action="store_true", help="输出 JSON（命中结果数组，最相关的在前）")

    def handle(self, query, **options):
        limit = options["limit"]
        if not 1 <= limit <= search.MAX_LIMIT:
            raise CommandError(f"--limit 应在 1 到 {search.MAX_LIMIT} 之间。")
        year = options["year"]
        if year is not None and not YEARS[0] <= year <= YEARS[1]:
            raise CommandError(f"--year 应在 {YEARS[0]} 到 {YEARS[1]} 之间。")
        issuer = (options["issuer"] or "").strip()
        if len(issuer) > 100:
            raise CommandError("--issuer 不能超过 100 个字。")
        user = None
        if options["as_user"]:
            user = get_user_model().objects.filter(username=options["as_user"]).first()
            if user is None or not user.is_active:
                raise CommandError(f"用户「{options['as_user']}」不存在或已停用。")
        filters = search.Filters(kind=options["kind"] or "", level=options["level"] or "",
                                 status=options["status"] or "", issuer=issuer, year=year)
        try:
            result = search.search(user, query, filters, limit=limit)
        except search.QueryError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps([h.as_json() for h in result.hits], ensure_ascii=False, indent=2))
            return
        if not result.hits:
            self.stdout.write("没有找到相关内容。")
            return
        self.stdout.write(f"共 {result.total:,} 条相关内容，显示前 {len(result.hits)} 条：")
        marks = search._pattern(result.query.highlight_terms())
        for n, hit in enumerate(result.hits, 1):
            self.stdout.write(f"{n}. [{hit.kind_label}] {hit.title}  （相关度 {hit.score:.3f}）")
            if hit.edition:
                self.stdout.write(f"   版本：{hit.edition}")
            text = marks.sub(lambda m: f"【{m.group()}】", hit.snippet) if marks else hit.snippet
            self.stdout.write(f"   {text}")
