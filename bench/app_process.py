"""Start `python app.py` in a folder of its own for a benchmark, and stop it again.

bench.first_answer and bench.users measure the running app the same way: a free local port, a fresh index and
data folder under the benchmark's temporary folder, an embedding cache chosen by the caller, no login, the app's
output in app.log; and they wait for the same thing, the library status line saying every chunk has its vector.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ALL_VECTORS_IN = "全部完成"  # what the library status line says once every chunk has its vector


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppProcess:
    """A running app: its process, address, log file and the perf_counter() time it was started at."""

    proc: subprocess.Popen
    url: str
    log_path: Path
    started: float

    def exited(self) -> bool:
        return self.proc.poll() is not None

    def cpu_seconds(self) -> float | None:
        """CPU seconds (user + system) the app has used so far; None where /proc is not there (not Linux)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)

    def log_tail(self, chars: int = 2000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]


@contextmanager
def running_app(work: Path, embed_cache: Path | str) -> Iterator[AppProcess]:
    """The app serving a new index under `work` with the embedding cache folder `embed_cache`; stopped on exit.

    Nothing is awaited here: the caller decides what "ready" means (a first cited answer, all vectors in).
    """
    port = free_port()
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(work / "index"),
        "QA_DATA_DIR": str(work / "data"),
        "QA_EMBED_CACHE_DIR": str(embed_cache),
        "QA_USERS": "",  # no login: the benchmark's clients are anonymous local users
    }
    log_path = work / "app.log"
    with log_path.open("w") as log:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, env=env,
                                stdout=log, stderr=log)  # fmt: skip
        try:
            yield AppProcess(proc, f"http://127.0.0.1:{port}/", log_path, started)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def all_vectors_in(client: Any) -> bool:
    """Whether the app's library (a gradio_client Client's /library) says every chunk has its vector."""
    return ALL_VECTORS_IN in client.predict(api_name="/library")[1]


def wait_for_vectors(app: AppProcess, timeout: float) -> float | None:
    """Poll the app until every chunk has its vector; the seconds since the app started, None after `timeout`
    seconds since it started.

    Raises:
        SystemExit: the app exited (with the end of its log).
    """
    from gradio_client import Client

    client = None
    while time.perf_counter() - app.started < timeout:
        try:
            client = client or Client(app.url, verbose=False)
            if all_vectors_in(client):
                return time.perf_counter() - app.started
        except Exception:  # not serving yet
            if app.exited():
                raise SystemExit(f"app exited with {app.proc.returncode}: {app.log_tail()}") from None
        time.sleep(2)
    return None
