import logging

from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME

from jingshen.commands import JingshenCommand
from jingshen.operations.worker import GRACE_ENV, JingshenWorker, grace_seconds


class Command(JingshenCommand):
    help = ("运行后台任务进程（导入、筛查）。jingshen serve 会自动启动它；单独部署时用本命令。"
            f"收到停止信号后不再领取新任务，当前任务在宽限期内（默认 60 秒，环境变量 {GRACE_ENV}）完成，"
            "否则中止并重新排队，下次启动时从头执行。")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5, help="队列为空时每隔多少秒查看一次（默认 0.5）")
        parser.add_argument("--grace", type=float, default=None,
                            help=f"停止时等待当前任务完成的秒数（默认取环境变量 {GRACE_ENV}，未设置为 60）")

    def handle(self, interval, grace, **options):
        logging.getLogger("django_tasks_db").setLevel(logging.INFO)
        worker = JingshenWorker(
            grace=grace_seconds() if grace is None else max(0.0, grace),
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=max(0.0, interval),
            batch=False,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
