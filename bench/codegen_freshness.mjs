// From an app edit to fresh artifacts on disk: the bundled demo supervised by litevite-gw
// (uvicorn --reload), a new route added to app.py each round; times from the file write to
//   app     the new route answering through the gateway (uvicorn's own reload),
//   routes  routes.ts on disk naming it (export + routes.json + routes.ts),
//   client  @hey-api/openapi-ts's output naming it.
// litestar-vite exports only when `litestar run` starts, so there the same edit leaves the
// artifacts stale until the next manual restart (docs/performance.md).
//   node bench/codegen_freshness.mjs [--rounds 5]
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import { startDemo, stopDemo, waitUntil } from "../tests/e2e/harness.mjs";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
const rounds = Number(values.rounds);
const now = () => performance.now();

/** Every file under dir (recursively) as one string. */
function readTree(dir) {
  if (!fs.existsSync(dir)) return "";
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath ?? e.path, e.name), "utf8"))
    .join("\n");
}

const demo = await startDemo();
const generated = path.join(demo.dir, "demo/web/src/generated");
const appFile = path.join(demo.dir, "demo/app/app.py");
const rows = [];
try {
  await waitUntil("first artifacts", 120_000, async () => readTree(path.join(generated, "api")).includes("todos") && fs.existsSync(path.join(generated, "routes.ts")));
  for (let i = 0; i < rounds; i++) {
    const name = `bench_${Date.now()}`;
    const src = fs.readFileSync(appFile, "utf8");
    const handler = `\n\n@get("/api/${name}", name="${name}")\nasync def ${name}() -> dict[str, str]:\n    return {"ok": "${name}"}\n`;
    const edited = src
      .replace("\n\ndef operation_id(", `${handler}\n\ndef operation_id(`)
      .replace("route_handlers=[", `route_handlers=[${name}, `);
    const t0 = now();
    fs.writeFileSync(appFile, edited);
    const seen = {};
    await waitUntil(`artifacts naming ${name}`, 60_000, async () => {
      if (!seen.app && (await fetch(`${demo.url}api/${name}`)).status === 200) seen.app = now() - t0;
      if (!seen.routes && fs.readFileSync(path.join(generated, "routes.ts"), "utf8").includes(`"${name}"`)) seen.routes = now() - t0;
      if (!seen.client && readTree(path.join(generated, "api")).includes(name)) seen.client = now() - t0;
      return seen.app && seen.routes && seen.client;
    });
    rows.push(seen);
  }
} finally {
  await stopDemo(demo);
}
const med = (k) => {
  const v = rows.map((r) => r[k]).sort((a, b) => a - b);
  return `${v[Math.floor(v.length / 2)].toFixed(0).padStart(6)} [${v[0].toFixed(0)}-${v.at(-1).toFixed(0)}]`;
};
console.log(`# app.py edit -> fresh artifacts, ${rounds} rounds; ms after the write, median [min-max]`);
console.log(`new route answering (uvicorn reload)   ${med("app")}`);
console.log(`routes.ts on disk                      ${med("routes")}`);
console.log(`openapi-ts client on disk              ${med("client")}`);
