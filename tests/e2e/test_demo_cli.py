"""`authgate demo` as a user runs it: a subprocess on the default ports 9011/8081/8082. It prints
its URLs, serves the three origins and stops cleanly on Ctrl-C (SIGINT). Its readiness time
(spawn -> the "ready" line, Python start-up included) is measured and written to
test-artifacts/demo/readiness.txt; the goal is < 3 s, deliberately not asserted (shared machine).
"""
from __future__ import annotations

import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from .harness import ARTIFACTS

pytestmark = pytest.mark.e2e
PORTS = {"idp": 9011, "store": 8081, "forums": 8082, "mail": 8025}  # mail: the demo inbox (SMTP on 2525)
AUTHGATE = Path(sys.executable).with_name("authgate")


def _busy(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def test_authgate_demo_prints_urls_serves_three_origins_and_stops_on_sigint(tmp_path: Path) -> None:
    busy = [p for p in [*PORTS.values(), 2525] if _busy(p)]
    if busy:
        pytest.skip(f"default demo ports busy: {busy}")
    if not AUTHGATE.exists():
        pytest.skip(f"no {AUTHGATE} (pip install -e .)")
    began = time.perf_counter()
    err_path = tmp_path / "stderr.txt"
    err = err_path.open("w")
    proc = subprocess.Popen([str(AUTHGATE), "demo", "--mode", "implicit-localstorage", "--data-dir",
                             str(tmp_path / "data")], stdout=subprocess.PIPE, stderr=err, text=True)
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()
    out: list[str] = []
    ready_at = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("Ctrl-C stops" in line for line in out):
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                assert proc.poll() is None, f"demo exited early: {err_path.read_text()}"
                continue
            out.append(line)
            if ready_at is None and "authgate demo ready" in line:
                ready_at = time.perf_counter() - began
        text = "".join(out)
        assert ready_at is not None, f"no ready line in: {text!r}"
        assert "workflow mode: implicit-localstorage" in text
        for name, port in PORTS.items():
            assert f"http://{name}.authgate.localhost:{port}" in text
        assert "richard@example.com" in text
        # The admin console's URL and this start's password for admin@example.com.
        console_line = next(line for line in out if "Admin console" in line)
        assert "http://idp.authgate.localhost:9011/admin/" in console_line and "admin@example.com / " in console_line

        for name, port in PORTS.items():
            host = {"Host": f"{name}.authgate.localhost:{port}"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=host, timeout=10) as http:
                if name == "mail":
                    page = http.get("/")
                    assert page.status_code == 200 and "Demo inbox" in page.text
                elif name == "idp":
                    assert http.get("/health/ready").status_code == 200
                    discovery = http.get("/.well-known/openid-configuration").json()
                    assert discovery["issuer"] == f"http://idp.authgate.localhost:{port}"
                    console = http.get("/admin/")
                    assert console.status_code == 302 and "/oauth2/authorize?" in console.headers["location"]
                else:
                    page = http.get("/")
                    assert page.status_code == 200 and "implicit-localstorage" in page.text
                    assert f"{name.capitalize()}" in page.text

        stop_began = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
        stop_s = time.perf_counter() - stop_began
        reader.join(timeout=5)  # every line the demo printed before it exited
        rest = "".join(lines.get() for _ in range(lines.qsize()))
        assert code == 0, f"exit {code}: {err_path.read_text()}"
        assert "stopped" in rest
        assert "Traceback" not in err_path.read_text(), err_path.read_text()
        assert not [p for p in PORTS.values() if _busy(p)], "a port is still bound after exit"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        err.close()
    report = (f"authgate demo readiness: {ready_at:.2f}s from spawn to the ready line "
              f"(demo's own figure: {text.split('ready in ')[1].split('s')[0]}s); stop on SIGINT: {stop_s:.2f}s\n")
    (ARTIFACTS / "demo").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "demo" / "readiness.txt").write_text(report)
    print(report)
