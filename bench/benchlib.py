"""What the Python benchmarks share: the repository root, free ports, and the one
litevite.toml they put in front of a single static upstream."""

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def direct_gateway_toml(listen: int, upstream: int) -> str:
    """litevite-gw in direct mode with `upstream` as the app, one worker thread (as the
    peers get one worker each), no codegen, health checks out of the way."""
    return (
        f'[gateway]\nlisten = "127.0.0.1:{listen}"\nmode = "direct"\nthreads = 1\n'
        f'[upstreams.app]\naddress = "127.0.0.1:{upstream}"\n[upstreams.vite]\nhotfile = ""\n'
        '[health]\ninterval = "60s"\n[codegen]\nexport = false\n[codegen.openapi_ts]\nenabled = false\n'
    )
