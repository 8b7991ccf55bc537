"""`jingshen serve` as a service manager runs it: the background worker lives and dies with the
web server."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.test_cli import JINGSHEN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_sigterm_stops_the_server_and_its_worker(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["JINGSHEN_HOME"] = str(tmp_path / "home")
    port = free_port()
    server = subprocess.Popen([JINGSHEN, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
        workers = children(server.pid)
        assert workers, "serve starts a background worker"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        assert not any(alive(pid) for pid in workers), "the worker outlived the server"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
