#!/usr/bin/env python3
"""User-space instructions per proxied request, counted by valgrind's callgrind: nginx vs
bare Pingora (examples/bare_pingora.rs) vs litevite-gw, against one nginx upstream serving
1 KB. Instruction counts do not depend on what else the machine is doing, so this is the
repeatable view of what bench/http_proxy.py measures in req/s.

Each proxy runs under callgrind twice, for N1 and N2 sequential keep-alive requests (one
curl connection); (total(N2) - total(N1)) / (N2 - N1) is the per-request cost, start-up
and shutdown cancelled out. Kernel work (the loopback TCP stack) is not counted: it is the
same for every proxy.

    python3 bench/instructions.py [--n1 500] [--n2 2500]
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchlib import ROOT, direct_gateway_toml, free_port, require, static_workdir


def wait_http(port: int, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if subprocess.run(["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{port}/1k.txt"]).returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on {port}")


def count(cmd, port: int, n: int, out: Path, stop_signal: int, cwd: Path) -> int:
    """Total instructions of `cmd` run under callgrind while it proxies n requests."""
    p = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, start_new_session=True,
    )
    try:
        wait_http(port)
        subprocess.run(["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{port}/1k.txt?[1-{n}]"], check=True)
    finally:
        p.send_signal(stop_signal)
        p.wait(timeout=60)
    text = subprocess.run(["callgrind_annotate", str(out)], capture_output=True, text=True).stdout
    return int(re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", text).group(1).replace(",", ""))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n1", type=int, default=500)
    ap.add_argument("--n2", type=int, default=2500)
    args = ap.parse_args()
    require("valgrind", "callgrind_annotate", "nginx", "curl")
    work = static_workdir("litevite-instr-")
    up, px = free_port(), free_port()
    conf = "daemon off; master_process off; worker_processes 1; pid {pid}; error_log {err}; events {{ worker_connections 1024; }}"
    (work / "up.conf").write_text(
        conf.format(pid=work / "up.pid", err=work / "up.err")
        + f" http {{ access_log off; keepalive_requests 1000000; server {{ listen 127.0.0.1:{up}; root {work / 'www'}; }} }}"
    )
    (work / "px.conf").write_text(
        conf.format(pid=work / "px.pid", err=work / "px.err")
        + f" http {{ access_log off; upstream u {{ server 127.0.0.1:{up}; keepalive 16; }}"
        f" server {{ listen 127.0.0.1:{px}; keepalive_requests 1000000;"
        f" location / {{ proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection \"\"; }} }} }}"
    )
    (work / "litevite.toml").write_text(direct_gateway_toml(px, up))
    targets = {
        "nginx": (["nginx", "-p", str(work), "-c", str(work / "px.conf")], signal.SIGQUIT),
        "pingora": ([str(ROOT / "target/release/examples/bare_pingora"), f"127.0.0.1:{px}", f"127.0.0.1:{up}", "1"], signal.SIGINT),
        "litevite-gw": ([str(ROOT / "target/release/litevite-gw"), "-c", str(work / "litevite.toml"), "--log-level", "warn"], signal.SIGINT),
    }
    upstream = subprocess.Popen(["nginx", "-p", str(work), "-c", str(work / "up.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    rows = {}
    try:
        wait_http(up)
        for name, (cmd, sig) in targets.items():
            a = count(cmd, px, args.n1, work / f"{name}.1.out", sig, work)
            b = count(cmd, px, args.n2, work / f"{name}.2.out", sig, work)
            rows[name] = (b - a) / (args.n2 - args.n1)
    finally:
        os.killpg(upstream.pid, signal.SIGTERM)
        upstream.wait()
        shutil.rmtree(work, ignore_errors=True)
    print(f"# user-space instructions per proxied 1 KB request (callgrind, {args.n1} vs {args.n2} requests)")
    print(f"{'target':<12} {'instructions':>13} {'vs nginx':>9} {'vs pingora':>11}")
    for name, per in rows.items():
        print(f"{name:<12} {per:>13,.0f} {per / rows['nginx']:>8.2f}x {per / rows['pingora']:>10.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
