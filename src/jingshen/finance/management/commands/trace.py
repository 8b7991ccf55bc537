import json

from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand, acting_user
from jingshen.finance import access
from jingshen.finance.trace import trace
from jingshen.orgs import scope
from jingshen.orgs.models import Org


class Command(JingshenCommand):
    help = ("重点资金穿透：某项重点资金在一个会计年度从上级拨付、逐级下拨到各单位支出和最终收款人的金额，"
            "结余、用途科目以外的支出、在多个单位出现的收款人。")

    def add_arguments(self, parser):
        parser.add_argument("fund", help="重点资金名称（如 送温暖、产改资金）")
        parser.add_argument("--year", type=int, required=True, help="会计年度")
        parser.add_argument("--org", help="从该单位向下穿透（单位编码）；不指定时从最上级单位开始")
        parser.add_argument("--by", metavar="用户名", help="以该用户的查看范围穿透；不指定时以系统身份（全部单位）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, fund, year, org, by, **options):
        actor = acting_user(by) if by else None
        units = Org.objects.all() if actor is None else scope.orgs_for(actor, scope.VIEW)
        if org:
            root = units.filter(code=org).first()
            if root is None:
                raise CommandError(f"单位编码「{org}」不存在或不在查看范围内。")
        else:
            root = units.order_by("depth", "path").first()
            if root is None:
                raise CommandError("没有可穿透的单位。")
        candidates = access.funds_applying_to(root).filter(name=fund.strip(), active=True).select_related("org")
        chosen = max(candidates, key=lambda f: f.org.depth if f.org_id else -1, default=None)  # the nearest definition
        if chosen is None:
            raise CommandError(f"没有适用于{root.name}的已启用重点资金「{fund}」。")
        result = trace(actor, chosen, root, year)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
            return
        t = result.totals
        self.stdout.write(f"{chosen.name} · {root.name} {year} 年（金额：元）")
        self.stdout.write(f"收到 {t['received']:,.2f}  下拨 {t['passed_down']:,.2f}  支出 {t['spent']:,.2f}  结余 {t['unspent']:,.2f}")
        if not result.active_hops:
            self.stdout.write("没有归入该资金的收支。")
        for h in result.active_hops:
            allocated = "–" if h.allocated is None else f"{h.allocated:,.2f}"
            self.stdout.write(f"{'  ' * h.depth}{h.org.code}\t{h.org.name}\t上级拨付 {allocated}\t收到 {h.received:,.2f}\t"
                              f"下拨 {h.passed_down:,.2f}\t支出 {h.spent:,.2f}\t结余 {h.unspent:,.2f}")
        if result.outside:
            self.stdout.write(f"用途科目以外的支出 {len(result.outside)} 项：")
            for h, p in result.outside:
                self.stdout.write(f"  {h.org.name}\t{p.account_code} {p.account_name}\t{p.counterparty}\t{p.amount:,.2f}")
        if result.recurring:
            self.stdout.write(f"在多个单位出现的收款人 {len(result.recurring)} 个：")
            for r in result.recurring[:50]:
                self.stdout.write(f"  {r.name}\t{len(r.units)} 个单位\t{r.amount:,.2f}")
        if result.without_data:
            self.stdout.write(f"另有 {result.without_data} 个单位未导入 {year} 年凭证。")
