"""A real `melanoscan serve` process for tests: gunicorn, one worker, a free port, its own data dir."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "melanoscan.onnx"
# Upload limit of the live servers: small, so the "body too large" case stays cheap to send.
LIVE_MAX_UPLOAD = 4 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """`melanoscan serve` (gunicorn, one worker) in its own process, on a free port, with its own data dir."""

    def __init__(self, data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.database = data_dir / "melanoscan.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        child_env = {
            **os.environ,
            "MELANOSCAN_ORT_THREADS": "1",
            "MELANOSCAN_MAX_UPLOAD_BYTES": str(LIVE_MAX_UPLOAD),
            "MELANOSCAN_RATELIMIT_ENABLED": "0",  # the corpus sends far more than a person would
            **(env or {}),
        }
        child_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        command = [
            sys.executable,
            "-m",
            "melanoscan.cli",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir),
            "--model",
            str(MODEL),
            "--workers",
            "1",
            *extra,
        ]
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=child_env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=10).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not up after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
