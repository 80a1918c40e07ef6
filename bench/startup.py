#!/usr/bin/env python3
"""Start-up: process start to /_litevite/readyz answering 200, with the upstreams
(the fixture app and a static Vite stand-in) already up. Median of N runs.

    python3 bench/startup.py [--runs 15]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchlib import ROOT, free_port



def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--gateway", default=str(ROOT / "target/release/litevite-gw"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="litevite-startup-"))
    app_port, vite_port = free_port(), free_port()
    app = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "uvicorn", "app:app", "--app-dir", str(ROOT / "tests/fixtures/app"), "--port", str(app_port), "--log-level", "warning"],
        start_new_session=True,
    )
    vite = subprocess.Popen(
        ["node", "node_modules/vite/bin/vite.js", "--port", str(vite_port)],
        cwd=ROOT / "tests/fixtures/web", env={**os.environ, "VITE_PORT": str(vite_port)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    times = []
    try:
        for port in (app_port, vite_port):
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
        for _ in range(args.runs):
            gw_port = free_port()
            (work / "litevite.toml").write_text(
                f'[gateway]\nlisten = "127.0.0.1:{gw_port}"\n[upstreams.app]\naddress = "127.0.0.1:{app_port}"\n'
                f'[upstreams.vite]\nhotfile = ""\naddress = "127.0.0.1:{vite_port}"\n[codegen]\nexport = false\n[codegen.openapi_ts]\nenabled = false\n'
            )
            t0 = time.perf_counter()
            gw = subprocess.Popen([args.gateway, "-c", str(work / "litevite.toml"), "--log-level", "warn"], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{gw_port}/_litevite/readyz", timeout=1) as r:
                        if r.status == 200:
                            break
                except Exception:
                    pass
                time.sleep(0.002)
            times.append((time.perf_counter() - t0) * 1000)
            gw.terminate()
            gw.wait()
    finally:
        for p in (app, vite):
            os.killpg(p.pid, 15)
    print(f"# start-up to readyz 200 (upstreams already up), {args.runs} runs")
    print(f"median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
