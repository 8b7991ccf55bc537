from django.core.management.base import CommandError

from jingshen.activity.services import verify_chain
from jingshen.commands import JingshenCommand

BROKEN = 3  # exit code when the chain does not hold (1: bad arguments or other errors)


class Command(JingshenCommand):
    help = ("校验操作日志的哈希链：逐条重算哈希并与链头核对，发现被篡改、删除或插入的记录。"
            "日志完整时退出码为 0，不完整时为 3。")

    def handle(self, **options):
        report = verify_chain()
        if report.intact:
            head = f"，链头哈希 {report.head_hash}" if report.head_hash else ""
            self.stdout.write(f"日志完整：共 {report.count:,} 条记录，哈希链校验通过{head}。")
            return
        first = report.problems[0]
        lines = [f"日志不完整：{first.message}"]
        if len(report.problems) > 1:
            lines.append(f"另发现 {len(report.problems) - 1} 处问题（最多列出 20 处）：")
            lines += [f"  {p.message}" for p in report.problems[1:]]
        lines.append(f"共读取 {report.count:,} 条记录。")
        raise CommandError("\n".join(lines), returncode=BROKEN)
