import datetime

from django.core.management.base import CommandError

from jingshen.collection.services import run_due
from jingshen.commands import JingshenCommand


class Command(JingshenCommand):
    help = ("检查各单位的报送计划：截止日期已过而凭证数据未报送的期间记为“未按时报送”，已补报的标记为已补报。"
            "可以反复执行（例如由 cron 每小时执行一次），结果不会重复；平台的后台任务进程每小时也会自动执行。")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按该日期检查（YYYY-MM-DD，默认今天）")

    def handle(self, date, **options):
        today = None
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"日期「{date}」无效，请写成 YYYY-MM-DD。") from None
        self.stdout.write(run_due(today).summary())
