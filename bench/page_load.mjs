// Page load of a generated Vite project with ~300 modules in headless Chromium (Debian's
// /usr/bin/chromium): through litevite-gw vs straight to Vite vs Caddy vs litestar-vite's own
// in-process proxy (a Litestar app with its VitePlugin, from target/bench-venv), same run.
//   cold: a fresh browser profile (no HTTP cache; Vite's transform cache is warm)
//   warm: a reload in the same profile (conditional requests, 304s)
//   node bench/page_load.mjs [--modules 300] [--rounds 5]
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

import { ROOT, freePort, waitUntil } from "../tests/e2e/harness.mjs";

const { values } = parseArgs({ options: { modules: { type: "string", default: "300" }, rounds: { type: "string", default: "5" } } });
const modules = Number(values.modules);
const rounds = Number(values.rounds);
const BIN = process.env.LITEVITE_BIN || path.join(ROOT, "target/release/litevite-gw");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "litevite-pageload-"));
fs.mkdirSync(path.join(dir, "src"));
fs.symlinkSync(path.join(ROOT, "tests/fixtures/web/node_modules"), path.join(dir, "node_modules"));
fs.writeFileSync(path.join(dir, "package.json"), "{ \"type\": \"module\" }\n");
// HMR on /static/vite-hmr: the path litestar-vite's WebSocket route listens on.
fs.writeFileSync(
  path.join(dir, "vite.config.js"),
  'export default { base: "/static/", clearScreen: false, logLevel: "warn", cacheDir: ".vite-cache", server: { hmr: { path: "vite-hmr" } } };\n',
);
fs.writeFileSync(path.join(dir, "src/util.js"), "export const tag = (n) => `m${n}`;\n");
for (let i = 0; i < modules; i++) {
  fs.writeFileSync(path.join(dir, `src/m${i}.js`), `import { tag } from "./util.js";\nexport const v${i} = tag(${i});\n`);
  fs.writeFileSync(path.join(dir, `src/m${i}.css`), `.m${i} { color: rgb(${i % 255}, 0, 0); }\n`);
}
const imports = Array.from({ length: modules }, (_, i) => `import { v${i} } from "./m${i}.js";\nimport "./m${i}.css";`).join("\n");
fs.writeFileSync(path.join(dir, "src/main.js"), `${imports}\ndocument.body.dataset.count = String([${Array.from({ length: modules }, (_, i) => `v${i}`).join(",")}].length);\nwindow.__loaded = true;\n`);
fs.writeFileSync(path.join(dir, "index.html"), '<!doctype html><html><head><script type="module" src="/src/main.js"></script></head><body></body></html>\n');

const procs = [];
const run = (cmd, args, opts = {}) => {
  const p = spawn(cmd, args, { stdio: "ignore", detached: true, ...opts });
  procs.push(p);
  return p;
};
const vitePort = await freePort();
const gwPort = await freePort();
const caddyPort = await freePort();
const litestarPort = await freePort();
const LITESTAR_VITE_PY = path.join(ROOT, "target/bench-venv/bin/python");
run("node", ["node_modules/vite/bin/vite.js", "--port", String(vitePort), "--strictPort", "--host", "127.0.0.1"], { cwd: dir });
fs.writeFileSync(
  path.join(dir, "litevite.toml"),
  `[gateway]\nlisten = "127.0.0.1:${gwPort}"\n[upstreams.vite]\nhotfile = ""\naddress = "127.0.0.1:${vitePort}"\n[codegen]\nexport = false\n[codegen.openapi_ts]\nenabled = false\n`,
);
run(BIN, ["-c", "litevite.toml", "--log-level", "warn"], { cwd: dir });
fs.writeFileSync(path.join(dir, "Caddyfile"), `{\n  admin off\n  auto_https off\n}\nhttp://127.0.0.1:${caddyPort} {\n  reverse_proxy 127.0.0.1:${vitePort}\n}\n`);
run("caddy", ["run", "--config", "Caddyfile", "--adapter", "caddyfile"], { cwd: dir, env: { ...process.env, HOME: dir } });

// Every target but litestar-vite serves Vite's index.html at /static/; the Litestar app
// serves the same document at / (see bench/litestar_vite_app.py).
const targets = {
  "direct Vite": `http://127.0.0.1:${vitePort}/static/`,
  "litevite-gw": `http://127.0.0.1:${gwPort}/static/`,
  Caddy: `http://127.0.0.1:${caddyPort}/static/`,
};
const startLitestarVite = async () => {
  if (!fs.existsSync(LITESTAR_VITE_PY)) {
    console.error("litestar-vite skipped: run bench/setup.sh (it creates target/bench-venv)");
    return;
  }
  fs.writeFileSync(path.join(dir, "page.html"), await (await fetch(targets["direct Vite"])).text());
  fs.mkdirSync(path.join(dir, "public"));
  fs.writeFileSync(path.join(dir, "public/hot"), `http://127.0.0.1:${vitePort}`);
  run(LITESTAR_VITE_PY, ["-m", "uvicorn", "--app-dir", path.join(ROOT, "bench"), "litestar_vite_app:app", "--port", String(litestarPort), "--log-level", "warning"], {
    cwd: dir,
    env: { ...process.env, LITEVITE_BENCH_PROJECT: dir },
  });
  targets["litestar-vite"] = `http://127.0.0.1:${litestarPort}/`;
};
const launch = async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "litevite-chromium-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return { ctx, profile };
};
const loadOnce = async (page, url, reload) => {
  const t0 = Date.now();
  if (reload) await page.reload({ waitUntil: "load" });
  else await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => window.__loaded === true);
  const wall = Date.now() - t0;
  const count = await page.evaluate(() => document.body.dataset.count);
  if (count !== String(modules)) throw new Error(`page incomplete: ${count}`);
  return wall;
};

const results = {};
try {
  await waitUntil("Vite", 30_000, async () => (await fetch(targets["direct Vite"])).status === 200);
  await startLitestarVite();
  for (const url of Object.values(targets)) {
    await waitUntil(url, 30_000, async () => (await fetch(url)).status === 200);
  }
  // Warm Vite's transform cache once, so every target measures the same server state.
  {
    const { ctx, profile } = await launch();
    const page = await ctx.newPage();
    await loadOnce(page, targets["direct Vite"], false);
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round: the first launch of a round pays for a cold browser binary.
    const order = Object.entries(targets);
    for (const [name, url] of [...order.slice(r % order.length), ...order.slice(0, r % order.length)]) {
      const { ctx, profile } = await launch();
      const page = await ctx.newPage();
      const cold = await loadOnce(page, url, false);
      const warm = await loadOnce(page, null, true);
      (results[name] ??= { cold: [], warm: [] }).cold.push(cold);
      results[name].warm.push(warm);
      await ctx.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
  }
} finally {
  for (const p of procs) {
    try {
      process.kill(-p.pid, "SIGTERM");
    } catch {}
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
const med = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const base = results["direct Vite"];
console.log(`# page load, ${modules} JS + ${modules} CSS modules, ${rounds} rounds; median ms [min-max]; ratio to direct Vite`);
console.log("target        cold                   warm (reload)          cold ratio  warm ratio");
for (const [name, r] of Object.entries(results)) {
  const c = `${med(r.cold)} [${Math.min(...r.cold)}-${Math.max(...r.cold)}]`;
  const w = `${med(r.warm)} [${Math.min(...r.warm)}-${Math.max(...r.warm)}]`;
  console.log(`${name.padEnd(13)} ${c.padEnd(22)} ${w.padEnd(22)} ${(med(r.cold) / med(base.cold)).toFixed(3).padStart(10)}  ${(med(r.warm) / med(base.warm)).toFixed(3).padStart(10)}`);
}
