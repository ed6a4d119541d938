"""Real servers in subprocesses: Baton (`baton serve`) and the baselines (uvicorn), on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def rss_kib(pid: int) -> int:
    """Resident set size of process `pid` in KiB (VmRSS in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def _wait_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            tail = server.log.read_text()[-3000:]
            raise RuntimeError(f"server exited; see {server.log}:\n{tail}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server not ready after {timeout}s; see {server.log}")
        time.sleep(0.1)


@contextmanager
def run_server(
    argv: list[str], *, port: int, env: dict[str, str], log: Path, ready_path: str = "/health"
) -> Iterator[Server]:
    """Start `argv` with `env` added to this environment; stop it (SIGINT, then kill) on exit."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv, cwd=ROOT, env={**os.environ, **env}, stdout=sink, stderr=subprocess.STDOUT
        )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_ready(server, ready_path, timeout=90)
        yield server
    finally:
        process.send_signal(2)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def baton_argv(port: int, workers: int) -> list[str]:
    """`baton serve` as installed with this interpreter."""
    code = "from bot.cli.main import main; main()"
    return [sys.executable, "-c", code, "serve", "--port", str(port), "--workers", str(workers)]


def uvicorn_argv(factory: str, port: int, workers: int) -> list[str]:
    """uvicorn as `baton serve` runs it (factory, info log level), for a baseline app."""
    return [
        sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--log-level", "info",
    ]  # fmt: skip
