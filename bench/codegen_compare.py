#!/usr/bin/env python3
"""routes.json + routes.ts: litevite-gw vs litestar-vite's Python generator, same apps.

For each size, a real Litestar app with that many handlers of mixed shapes (no params; int
path param; UUID path param + optional query; date path param + required enum query +
optional list query). Its OpenAPI schema is computed once (the app does that work whichever
generator follows; building a Litestar app of 20,000 handlers and its schema takes many
minutes, so sizes stop at 5,000 here; examples/codegen_bench.rs covers 20,000 for ours).
Then, median of several runs each:

  litestar-vite  extract_route_metadata + generate_routes_json (+ JSON encode) +
                 generate_routes_ts, from the app object, as its export does;
  litevite-gw    the schema's JSON text → parse → routes.json → routes.ts, in process
                 (examples/codegen_bench.rs --openapi).

Run with the bench venv (bench/setup.sh creates it):
    target/bench-venv/bin/python bench/codegen_compare.py [--sizes 100,1000,5000]
"""

import argparse
import datetime
import enum
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from litestar import Litestar, get
from litestar_vite.codegen._routes import extract_route_metadata, generate_routes_json, generate_routes_ts

ROOT = Path(__file__).resolve().parent.parent


class Sort(str, enum.Enum):
    ASC = "asc"
    DESC = "desc"


def handler(i: int):
    """One handler of shape i % 4, named and with an operationId `group<k>:route.<i>`."""
    name = f"group{i % 10}:route.{i}"
    opts = {"name": name, "operation_id": name, "sync_to_thread": False}
    shape = i % 4
    if shape == 0:

        def fn() -> dict:
            return {}

        path = f"/api/r{i}"
    elif shape == 1:

        def fn(item_id: int) -> dict:
            return {}

        path = f"/api/r{i}/{{item_id:int}}"
    elif shape == 2:

        def fn(user_id: uuid.UUID, q: "str | None" = None) -> dict:
            return {}

        path = f"/api/r{i}/users/{{user_id:uuid}}"
    else:

        def fn(day: datetime.date, sort: Sort, tags: "list[str] | None" = None) -> dict:
            return {}

        path = f"/api/r{i}/days/{{day:date}}"
    fn.__name__ = f"h{i}"
    return get(path, **opts)(fn)


def median_ms(f, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bench-bin", default=str(ROOT / "target/release/examples/codegen_bench"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="litevite-codegen-"))
    try:
        rows = measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if rows is None:
        return 1
    print("# routes.json + routes.ts from the same Litestar app; median ms; ratio = litestar-vite / litevite-gw")
    print(f"{'routes':>7} {'litestar-vite ms':>17} {'litevite-gw ms':>15} {'ratio':>8} {'their routes.ts KB':>19} {'our routes.ts KB':>17}")
    for n, py, rs, py_size, rs_size in rows:
        print(f"{n:>7} {py:>17.1f} {rs:>15.2f} {py / rs:>7.0f}x {py_size // 1024:>19} {rs_size // 1024:>17}")
    return 0


def measure(args, work: Path):
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        app = Litestar(route_handlers=[handler(i) for i in range(n)], debug=False)
        schema = app.openapi_schema.to_schema()
        doc = work / f"openapi-{n}.json"
        doc.write_text(json.dumps(schema))
        out = {}

        def python_generator():
            meta = extract_route_metadata(app, openapi_schema=schema)
            out["json"] = json.dumps(generate_routes_json(app, openapi_schema=schema, routes_metadata=meta), indent=2, sort_keys=True)
            out["ts"] = generate_routes_ts(app, openapi_schema=schema, routes_metadata=meta)

        py_ms = median_ms(python_generator, args.runs)
        res = subprocess.run([args.bench_bin, "--openapi", str(doc)], capture_output=True, text=True, check=True)
        ours = json.loads(res.stdout.strip().splitlines()[-1])
        if ours["routes"] != n:
            print(f"litevite-gw derived {ours['routes']} routes from {n} handlers", file=sys.stderr)
            return None
        print(f"  {n} routes: litevite-gw parse {ours['parse_ms']:.1f} + routes.json {ours['derive_ms']:.1f} + routes.ts {ours['render_ms']:.1f} ms", flush=True)
        rows.append((n, py_ms, ours["ms"], len(out["ts"]), ours["routes_ts_bytes"]))
    return rows


if __name__ == "__main__":
    sys.exit(main())
