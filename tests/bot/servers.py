"""Real `baton serve` processes on loopback: start, wait for /health, kill -9, stop, read logs.

Each server runs in a session (process group) of its own, so stopping or killing it reaches
uvicorn's worker processes too. The command runs with this interpreter from the source tree
under test, whatever `baton` script is installed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 45.0
STOP_SECONDS = 15.0
CLI_SECONDS = 45.0
LOG_TAIL = 6000


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's pick for port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def baton_command(*args: str) -> list[str]:
    """`baton ARGS` as a command line."""
    return [sys.executable, "-c", "from bot.cli.main import main; main()", *args]


def server_env(**values: str) -> dict[str, str]:
    """This environment without Baton or Slack settings of the machine, plus `values`."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BATON_", "SLACK_")) or key == "BATON_TEST_DATABASE_URL"
    }
    return {**clean, **values}


async def run_cli(env: dict[str, str], *args: str) -> str:
    """Run `baton ARGS` to completion; its output, or an assertion error showing it."""
    process = await asyncio.create_subprocess_exec(
        *baton_command(*args),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=CLI_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"baton {' '.join(args)} did not finish in {CLI_SECONDS}s") from None
    text = output.decode(errors="replace")
    assert process.returncode == 0, f"baton {' '.join(args)} exited {process.returncode}:\n{text}"
    return text


@dataclass
class BatonServer:
    """One `baton serve` process; `log` collects its stdout and stderr."""

    env: dict[str, str]
    log: Path
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = baton_command("serve", "--port", str(self.port), "--workers", str(self.workers))
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def output(self) -> str:
        """The end of what the server wrote (its log)."""
        return self._log_text()[-LOG_TAIL:]

    def report(self) -> str:
        return f"--- {self.log.name} ({self.url}) ---\n{self.output()}\n"

    async def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        """Until GET /health answers 200; fails with the server's log if it exits or hangs."""
        assert self.process is not None, "start() first"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"baton serve exited with {self.process.returncode}:\n{self.output()}"
                    )
                try:
                    if (await client.get("/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if loop.time() > deadline:
                    raise AssertionError(f"baton serve not ready in {timeout}s:\n{self.output()}")
                await asyncio.sleep(0.1)

    async def run(self, *, attempts: int = 3) -> None:
        """Start and wait until ready; on another port when the one picked was taken since."""
        for attempt in range(attempts):
            mark = len(self._log_text())
            self.start()
            try:
                await self.wait_ready()
                return
            except AssertionError:
                taken = "address already in use" in self._log_text()[mark:].lower()
                if not taken or attempt == attempts - 1:
                    raise
                self.stop()
                self.port = free_port()

    def _signal_group(self, signum: int) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """kill -9 the server and its workers, as a crash or an OOM killer would."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        """Shut down (SIGTERM), or kill when that takes too long."""
        if self.process is None:
            return
        if self.process.poll() is not None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
