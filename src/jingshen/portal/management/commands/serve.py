import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command

from jingshen.commands import JingshenCommand


class Command(JingshenCommand):
    help = "启动 Web 服务（waitress，多线程）和后台任务进程。首次启动会整理静态文件。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1；内网服务请用 0.0.0.0 并设置 JINGSHEN_ALLOWED_HOSTS）")
        parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
        parser.add_argument("--threads", type=int, default=8, help="工作线程数（默认 8）")

    def handle(self, host, port, threads, **options):
        call_command("collectstatic", interactive=False, verbosity=0)

        from waitress import serve

        from jingshen.wsgi import application

        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.stdout.write(f"经审已启动：http://{shown}:{port}/  （数据目录 {settings.HOME}，按 Ctrl+C 停止）")
        self.stdout.flush()
        proxy = {}
        if settings.HTTPS:
            proxy = {
                "trusted_proxy": os.environ.get("JINGSHEN_TRUSTED_PROXY", "127.0.0.1"),
                "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for"},
            }
        worker = _start_worker()
        # SIGTERM (a service manager stopping us) ends the server like Ctrl-C does, so that the
        # worker is stopped with it instead of being left behind
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            serve(application, host=host, port=port, threads=threads, ident="jingshen", **proxy)
        except KeyboardInterrupt:
            pass
        finally:
            _stop(worker)


def _stop(worker: subprocess.Popen) -> None:
    """Stop the worker: it finishes the task in hand within 30 s, or is killed."""
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _start_worker() -> subprocess.Popen:
    """The background-task worker (imports, screening runs) runs beside the web server."""
    log = open(settings.HOME / "logs" / "worker.log", "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the worker
    return subprocess.Popen(
        [sys.executable, "-m", "jingshen.cli", "db_worker", "--interval", "0.5"], stdout=log, stderr=subprocess.STDOUT
    )
