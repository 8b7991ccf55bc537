import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand

log = logging.getLogger(__name__)
DRAIN_ENV = "JINGSHEN_DRAIN_SECONDS"
DEFAULT_DRAIN = 30.0  # requests in flight at SIGTERM get this long to finish


class Command(JingshenCommand):
    help = ("启动 Web 服务（waitress，多线程）和后台任务进程。首次启动会整理静态文件。"
            f"收到 SIGTERM（或 Ctrl+C）时不再接受新连接，等待处理中的请求完成（最多 {DEFAULT_DRAIN:.0f} 秒，"
            f"环境变量 {DRAIN_ENV}），后台任务进程完成或重新排队当前任务后退出。")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1；内网服务请用 0.0.0.0 并设置 JINGSHEN_ALLOWED_HOSTS）")
        parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
        parser.add_argument("--threads", type=int, default=8, help="每个进程的工作线程数（默认 8）")
        parser.add_argument("--processes", type=int, default=1,
                            help="Web 服务进程数（默认 1）。多核服务器上可设为 CPU 核数，各进程共用同一端口分担请求")
        parser.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)  # a process of --processes: the shared socket
        parser.add_argument("--no-worker", action="store_true",
                            help="不启动后台任务进程（后台任务进程另行运行 jingshen worker 时）")

    def handle(self, host, port, threads, processes, listen_fd, no_worker, **options):
        if not 1 <= processes <= 64:
            raise CommandError("进程数应在 1 至 64 之间。")
        if listen_fd is None:
            call_command("collectstatic", interactive=False, verbosity=0)
        if processes > 1 and listen_fd is None:
            return self._supervise(host, port, threads, processes, no_worker)

        from waitress.server import create_server

        from jingshen.wsgi import application

        proxy = {}
        if settings.HTTPS:
            proxy = {
                "trusted_proxy": os.environ.get("JINGSHEN_TRUSTED_PROXY", "127.0.0.1"),
                "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for"},
            }
        where = {"host": host, "port": port}
        if listen_fd is not None:
            where = {"sockets": [socket.socket(fileno=listen_fd)]}
        server = create_server(application, map={}, threads=threads, ident="jingshen", **where, **proxy)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        worker = None if no_worker or listen_fd is not None else _start_worker()
        stop = _Stop()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if listen_fd is None:
            self.stdout.write(f"经审已启动：http://{shown}:{_listeners(server)[0].effective_port}/  （数据目录 {settings.HOME}，按 Ctrl+C 停止）")
            self.stdout.flush()
        try:
            serve_until(server, stop)
            if listen_fd is None:  # the processes of --processes leave the saying to their supervisor
                self.stdout.write("正在停止：不再接受新连接，等待处理中的请求完成……")
                self.stdout.flush()
            left = drain(server, _drain_seconds())
            if left:
                self.stderr.write(f"停止时仍有 {left} 个请求未完成，已断开。")
        finally:
            if worker is not None:
                _stop(worker)
        if listen_fd is None:
            self.stdout.write("经审已停止。")

    def _supervise(self, host, port, threads, processes, no_worker):
        """``processes`` web processes on one listening socket (each a waitress server with its
        threads, so that requests use more than the one core a Python process's GIL allows);
        the kernel hands each new connection to one of them. A process that dies is started
        again; at SIGTERM each one stops accepting and finishes its requests in flight."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1024)
        fd = listener.fileno()
        cmd = [sys.executable, "-m", "jingshen.cli", "serve", "--listen-fd", str(fd), "--threads", str(threads), "--no-worker"]

        def start():
            return subprocess.Popen(cmd, pass_fds=(fd,), start_new_session=True)

        children = [start() for _ in range(processes)]
        worker = None if no_worker else _start_worker()
        stop = _Stop()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.stdout.write(f"经审已启动：http://{shown}:{listener.getsockname()[1]}/  （{processes} 个 Web 服务进程，"
                          f"数据目录 {settings.HOME}，按 Ctrl+C 停止）")
        self.stdout.flush()
        try:
            while not stop:
                for i, child in enumerate(children):
                    if child.poll() is not None:
                        log.error("Web service process %s exited with %s; starting another", child.pid, child.returncode)
                        children[i] = start()
                time.sleep(0.1)
            self.stdout.write("正在停止：不再接受新连接，等待处理中的请求完成……")
            self.stdout.flush()
            listener.close()
            for child in children:
                child.terminate()
            deadline = time.monotonic() + _drain_seconds() + 15
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        finally:
            if worker is not None:
                _stop(worker)
        self.stdout.write("经审已停止。")


class _Stop:
    """The signal handler: records the stop; the serving loop notices it within a second."""

    def __init__(self):
        self.requested = False

    def __call__(self, signum, frame):
        self.requested = True

    def __bool__(self):
        return self.requested


def _map(server) -> dict:
    return server._map if hasattr(server, "_map") else server.map  # one listener, or MultiSocketServer


def _listeners(server) -> list:
    from waitress.server import BaseWSGIServer

    return [d for d in _map(server).values() if isinstance(d, BaseWSGIServer)]


def serve_until(server, stop, timeout: float = 0.5) -> None:
    """waitress's main loop (``server.run()``), stopping when ``stop`` becomes true. (waitress's
    own run() ends on SystemExit by giving its threads 5 s and then dropping every connection
    with its unsent output, which cuts off requests in flight.)"""
    from waitress import wasyncore

    while not stop:
        wasyncore.loop(timeout=timeout, map=_map(server), use_poll=server.adj.asyncore_use_poll, count=1)


def drain(server, seconds: float) -> int:
    """Stop accepting connections, then keep the loop running until no channel has a request in
    hand or output unsent (or ``seconds`` pass); then stop the threads and close everything.
    Returns the number of requests still in flight when time ran out."""
    from waitress import wasyncore
    from waitress.channel import HTTPChannel

    for listener in _listeners(server):
        wasyncore.dispatcher.close(listener)  # the listening socket only, not the trigger the threads wake the loop with
    deadline = time.monotonic() + seconds

    def busy():
        return [c for c in list(_map(server).values()) if isinstance(c, HTTPChannel) and (c.requests or c.total_outbufs_len)]

    while busy() and time.monotonic() < deadline:
        wasyncore.loop(timeout=0.1, map=_map(server), use_poll=server.adj.asyncore_use_poll, count=1)
    left = len(busy())
    server.task_dispatcher.shutdown(timeout=1 if left else 5)
    wasyncore.close_all(_map(server))
    return left


def _drain_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(DRAIN_ENV, DEFAULT_DRAIN)))
    except ValueError:
        return DEFAULT_DRAIN


def _stop(worker: subprocess.Popen) -> None:
    """Stop the worker: it finishes the task in hand within its grace period, or requeues it
    (operations/worker.py); killed only if it has not exited some time after that."""
    from jingshen.operations.worker import grace_seconds

    worker.terminate()
    try:
        worker.wait(timeout=grace_seconds() + 15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _start_worker() -> subprocess.Popen:
    """The background-task worker (imports, screening runs) runs beside the web server, in its
    own process group so that a Ctrl+C in the terminal reaches it only through us."""
    log_file = open(settings.HOME / "logs" / "worker.log", "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the worker
    return subprocess.Popen([sys.executable, "-m", "jingshen.cli", "worker", "--interval", "0.5"], stdout=log_file,
                            stderr=subprocess.STDOUT, start_new_session=True)
