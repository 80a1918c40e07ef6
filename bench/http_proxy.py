#!/usr/bin/env python3
"""HTTP proxy overhead: direct upstream vs litevite-gw vs nginx vs Caddy.

One fast static upstream (nginx serving a 1 KB and a 1 MB file, 1 worker) on CPU 0 with
the proxy under test; wrk (1 thread) on CPU 1. Keep-alive, fixed connection counts, several
repetitions; prints median and spread, and ratios measured in the same run. Every proxy gets
one worker on that one core: nginx `worker_processes 1`, Caddy `GOMAXPROCS=1`, litevite-gw
`threads = 1`, and "pingora" (examples/bare_pingora.rs: Pingora forwarding with no hooks,
the floor for anything built on it) 1 thread.

    python3 bench/http_proxy.py [--reps 3] [--duration 5] [--conns 1,16,64] [--sizes 1k,1m]
                                [--targets direct,litevite-gw,nginx,caddy]
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

from benchlib import ROOT, direct_gateway_toml, free_port, require, static_workdir


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def start(cmd, cpu: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(["taskset", "-c", cpu, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, **kw)


def stop(p: subprocess.Popen) -> None:
    try:
        os.killpg(p.pid, 15)
        p.wait(timeout=10)
    except Exception:
        os.killpg(p.pid, 9)


def unit_ms(v: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m:
        return float("nan")
    n, u = float(m.group(1)), m.group(2)
    return {"us": n / 1000, "ms": n, "s": n * 1000, "m": n * 60000}[u]


def wrk(port: int, path: str, conns: int, duration: int) -> dict:
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = unit_ms(re.search(r"50%\s+(\S+)", out).group(1))
    p99 = unit_ms(re.search(r"99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": int(errors.group(1)) if errors else 0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--conns", default="1,16,64")
    ap.add_argument("--sizes", default="1k,1m", help="1k, 1m or both")
    ap.add_argument("--targets", default="direct,litevite-gw,pingora,nginx,caddy")
    ap.add_argument("--gateway", default=str(ROOT / "target/release/litevite-gw"))
    ap.add_argument("--bare", default=str(ROOT / "target/release/examples/bare_pingora"))
    args = ap.parse_args()
    require("nginx", "caddy", "wrk", "taskset")
    work = static_workdir("litevite-bench-")
    www = work / "www"
    (www / "1m.bin").write_bytes(os.urandom(1024 * 1024))
    ports = {name: free_port() for name in ("direct", "litevite-gw", "pingora", "nginx", "caddy")}
    up = ports["direct"]
    common = f"daemon off; worker_processes 1; pid {work}/%s.pid; error_log {work}/%s.err; events {{ worker_connections 4096; }}"
    (work / "upstream.conf").write_text(
        common % ("up", "up")
        + f" http {{ access_log off; sendfile on; keepalive_requests 1000000; server {{ listen 127.0.0.1:{up}; root {www}; }} }}"
    )
    (work / "proxy.conf").write_text(
        common % ("px", "px")
        + f" http {{ access_log off; upstream u {{ server 127.0.0.1:{up}; keepalive 128; }}"
        f" server {{ listen 127.0.0.1:{ports['nginx']}; keepalive_requests 1000000;"
        f" location / {{ proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_buffering on; }} }} }}"
    )
    (work / "Caddyfile").write_text(
        f"{{\n  admin off\n  auto_https off\n}}\nhttp://127.0.0.1:{ports['caddy']} {{\n  reverse_proxy 127.0.0.1:{up}\n}}\n"
    )
    (work / "litevite.toml").write_text(direct_gateway_toml(ports["litevite-gw"], up))
    procs = [
        start(["nginx", "-p", str(work), "-c", str(work / "upstream.conf")], "0"),
        start(["nginx", "-p", str(work), "-c", str(work / "proxy.conf")], "0"),
        start(["caddy", "run", "--config", str(work / "Caddyfile"), "--adapter", "caddyfile"], "0", env={**os.environ, "GOMAXPROCS": "1", "HOME": str(work)}),
        start([args.gateway, "-c", str(work / "litevite.toml"), "--log-level", "warn"], "0", cwd=work),
        start([args.bare, f"127.0.0.1:{ports['pingora']}", f"127.0.0.1:{up}", "1"], "0"),
    ]
    try:
        for p in ports.values():
            wait_port(p)
        print(f"# machine: {os.cpu_count()} CPUs; upstream + proxy pinned to CPU 0 (one worker each), wrk (1 thread) to CPU 1")
        print(f"# {args.reps} repetitions x {args.duration} s per cell; median [min-max]\n")
        results = {}
        sizes = {"1k": ("1 KB", "/1k.txt"), "1m": ("1 MB", "/1m.bin")}
        chosen = [t for t in ports if t in args.targets.split(",") or t in ("direct", "nginx")]
        for size, path in (sizes[s] for s in args.sizes.split(",")):
            for conns in [int(c) for c in args.conns.split(",")]:
                for name in chosen:
                    port = ports[name]
                    wrk(port, path, conns, 1)  # warm-up
                    runs = [wrk(port, path, conns, args.duration) for _ in range(args.reps)]
                    results[(size, conns, name)] = runs
            print(f"## {size} responses")
            print(f"{'conns':>5} {'target':<12} {'req/s (median [min-max])':<30} {'p50 ms':>8} {'p99 ms':>8} {'vs direct':>9} {'vs nginx':>9}")
            for conns in [int(c) for c in args.conns.split(",")]:
                direct = statistics.median(r["rps"] for r in results[(size, conns, "direct")])
                ngx = statistics.median(r["rps"] for r in results[(size, conns, "nginx")])
                for name in chosen:
                    runs = results[(size, conns, name)]
                    rps = [r["rps"] for r in runs]
                    med = statistics.median(rps)
                    p50 = statistics.median(r["p50"] for r in runs)
                    p99 = statistics.median(r["p99"] for r in runs)
                    errs = sum(r["errors"] for r in runs)
                    cell = f"{med:>10.0f} [{min(rps):.0f}-{max(rps):.0f}]"
                    print(f"{conns:>5} {name:<12} {cell:<30} {p50:>8.3f} {p99:>8.3f} {med / direct:>9.2f} {med / ngx:>9.2f}" + (f"  errors={errs}" if errs else ""))
            print()
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
