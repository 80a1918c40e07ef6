"""What the Python benchmarks share: the repository root, free ports, and the one
litevite.toml they put in front of a single static upstream."""

import shutil
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require(*tools: str) -> None:
    """Exit with the next step when a tool the benchmark needs is missing."""
    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"missing {tool}: run bench/setup.sh")


def static_workdir(prefix: str) -> Path:
    """A temporary directory with www/1k.txt for an nginx upstream to serve; world-readable,
    since nginx workers run as an unprivileged user."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    work.chmod(0o755)
    (work / "www").mkdir()
    (work / "www/1k.txt").write_bytes(b"x" * 1024)
    return work


def direct_gateway_toml(listen: int, upstream: int) -> str:
    """litevite-gw in direct mode with `upstream` as the app, one worker thread (as the
    peers get one worker each), no codegen, health checks out of the way."""
    return (
        f'[gateway]\nlisten = "127.0.0.1:{listen}"\nmode = "direct"\nthreads = 1\n'
        f'[upstreams.app]\naddress = "127.0.0.1:{upstream}"\n[upstreams.vite]\nhotfile = ""\n'
        '[health]\ninterval = "60s"\n[codegen]\nexport = false\n[codegen.openapi_ts]\nenabled = false\n'
    )
