from jingshen.collection.services import run_watch
from jingshen.commands import JingshenCommand


class Command(JingshenCommand):
    help = ("检查一遍各单位的监控文件夹：已写完的凭证导出文件（CSV、XLSX、XLS、DBF、XML）导入该单位，成功的移入“已导入/日期”，"
            "被拒绝的连同错误报告移入“被拒绝/日期”。可以反复执行（例如由 cron 每分钟执行一次），同一文件只导入一次，"
            "多个进程同时执行也不会重复导入；平台的后台任务进程每分钟也会自动执行。")

    def handle(self, **options):
        self.stdout.write(run_watch().summary())
