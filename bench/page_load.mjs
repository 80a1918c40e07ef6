// Page load of a generated Vite project with ~300 modules in headless Chromium (Debian's
// /usr/bin/chromium): through litevite-gw vs straight to Vite vs Caddy, same run.
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
fs.writeFileSync(path.join(dir, "vite.config.js"), 'export default { base: "/static/", clearScreen: false, logLevel: "warn", cacheDir: ".vite-cache" };\n');
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
run("node", ["node_modules/vite/bin/vite.js", "--port", String(vitePort), "--strictPort", "--host", "127.0.0.1"], { cwd: dir });
fs.writeFileSync(
  path.join(dir, "litevite.toml"),
  `[gateway]\nlisten = "127.0.0.1:${gwPort}"\n[upstreams.vite]\nhotfile = ""\naddress = "127.0.0.1:${vitePort}"\n[codegen]\nexport = false\n[codegen.openapi_ts]\nenabled = false\n`,
);
run(BIN, ["-c", "litevite.toml", "--log-level", "warn"], { cwd: dir });
fs.writeFileSync(path.join(dir, "Caddyfile"), `{\n  admin off\n  auto_https off\n}\nhttp://127.0.0.1:${caddyPort} {\n  reverse_proxy 127.0.0.1:${vitePort}\n}\n`);
run("caddy", ["run", "--config", "Caddyfile", "--adapter", "caddyfile"], { cwd: dir, env: { ...process.env, HOME: dir } });

const targets = { "direct Vite": vitePort, "litevite-gw": gwPort, Caddy: caddyPort };
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
  for (const port of Object.values(targets)) {
    await waitUntil(`port ${port}`, 30_000, async () => (await fetch(`http://127.0.0.1:${port}/static/`)).status === 200);
  }
  // Warm Vite's transform cache once, so every target measures the same server state.
  {
    const { ctx, profile } = await launch();
    const page = await ctx.newPage();
    await loadOnce(page, `http://127.0.0.1:${vitePort}/static/`, false);
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, port] of Object.entries(targets)) {
      const { ctx, profile } = await launch();
      const page = await ctx.newPage();
      const cold = await loadOnce(page, `http://127.0.0.1:${port}/static/`, false);
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
