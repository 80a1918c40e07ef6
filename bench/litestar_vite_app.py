"""litestar-vite's own single-port dev setup, as a page-load baseline.

A Litestar app with litestar-vite's VitePlugin in dev mode and proxy mode "vite": its
ASGI middleware forwards /static/… to the Vite server named in the hotfile
(<project>/public/hot), and its WebSocket route forwards HMR. The benchmark starts Vite
itself and writes the hotfile, so the plugin is told not to start a dev server. The page
itself is Vite's own transformed index.html (saved by the benchmark as page.html), served by
Litestar at / as a template-mode app would, so every target loads the same document.

    LITEVITE_BENCH_PROJECT=<vite project> uvicorn litestar_vite_app:app --port N
"""

import os
from pathlib import Path

from litestar import Litestar, MediaType, get
from litestar_vite import PathConfig, RuntimeConfig, ViteConfig, VitePlugin

PROJECT = Path(os.environ["LITEVITE_BENCH_PROJECT"])


PAGE = (PROJECT / "page.html").read_text()


@get("/", media_type=MediaType.HTML, sync_to_thread=False)
def index() -> str:
    return PAGE


app = Litestar(
    route_handlers=[index],
    plugins=[
        VitePlugin(
            config=ViteConfig(
                mode="template",
                dev_mode=True,
                types=False,
                paths=PathConfig(root=PROJECT, bundle_dir="public", hot_file="hot", asset_url="/static/"),
                runtime=RuntimeConfig(start_dev_server=False, proxy_mode="vite", set_environment=False),
            )
        )
    ],
)
