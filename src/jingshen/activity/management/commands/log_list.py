import datetime
import json

from django.core.management.base import CommandError
from django.utils import timezone

from jingshen.activity.models import ActivityLog
from jingshen.activity.services import as_dict
from jingshen.commands import JingshenCommand
from jingshen.orgs.models import Org


def parse_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"日期「{value}」无法识别，应为 YYYY-MM-DD 格式，如 2026-01-31。") from None


class Command(JingshenCommand):
    help = "列出操作日志（最新的在前）。--json 时每行一条 JSON（JSON Lines）。"

    def add_arguments(self, parser):
        parser.add_argument("--org", help="只列出该单位（单位编码）的记录")
        parser.add_argument("--since", help="只列出该日期（含，YYYY-MM-DD，北京时间）以来的记录")
        parser.add_argument("--limit", type=int, default=0, help="最多列出的条数（默认全部）")
        parser.add_argument("--json", action="store_true",
                            help="每行输出一条 JSON（字段：seq、at、actor、org、action、summary、object_type、object_id、"
                                 "details、before、after、address、source、hash）")

    def handle(self, org, since, limit, json: bool, **options):
        entries = ActivityLog.objects.select_related("actor", "org").order_by("-seq")
        if org:
            unit = Org.objects.filter(code=org).first()
            if unit is None:
                raise CommandError(f"单位「{org}」不存在。")
            entries = entries.filter(org=unit)
        if since:
            start = timezone.make_aware(datetime.datetime.combine(parse_date(since), datetime.time.min))
            entries = entries.filter(at__gte=start)
        if limit < 0:
            raise CommandError("--limit 不能为负数。")
        if limit:
            entries = entries[:limit]
        written = 0
        for entry in entries.iterator(chunk_size=2000):
            written += 1
            self.stdout.write(_json(as_dict(entry)) if json else _line(entry))
        if not written and not json:
            self.stdout.write("没有符合条件的操作日志。")


def _line(e: ActivityLog) -> str:
    who = e.actor.username if e.actor_id else "（系统）"
    unit = e.org.code if e.org_id else "-"
    return (f"#{e.seq}\t{timezone.localtime(e.at):%Y-%m-%d %H:%M:%S}\t{who}\t{unit}\t{e.get_source_display()}\t"
            f"{e.address or '-'}\t{e.action}\t{e.summary}")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)
