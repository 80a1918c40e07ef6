// Shared helpers for the browser suite: free ports, deadline polling, the gateway
// supervising a copy of the bundled demo, child processes from /proc, and Chromium.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = process.env.LITEVITE_BIN || path.join(ROOT, "target/debug/litevite-gw");

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function waitUntil(what, timeoutMs, fn) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function copyTree(from, to, skip) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (skip.includes(entry.name)) continue;
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst, skip);
    else fs.copyFileSync(src, dst);
  }
}

/** The gateway running the bundled demo (a copy, so tests can edit files) on a free port. */
export async function startDemo() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "litevite-e2e-"));
  copyTree(path.join(ROOT, "demo"), path.join(dir, "demo"), ["node_modules", "generated", "public", "__pycache__"]);
  fs.symlinkSync(path.join(ROOT, "demo/web/node_modules"), path.join(dir, "demo/web/node_modules"));
  fs.symlinkSync(path.join(ROOT, ".venv"), path.join(dir, ".venv"));
  // The demo's own config, with a short retry window so that a killed app is an outage
  // the browser can see (by default requests wait 2 s for a restarting upstream).
  const toml = fs.readFileSync(path.join(ROOT, "litevite.toml"), "utf8");
  fs.writeFileSync(path.join(dir, "litevite.toml"), `${toml}\n[health]\nretry_window = "100ms"\n`);
  const port = await freePort();
  const logPath = path.join(dir, "gateway.log");
  const log = fs.openSync(logPath, "w");
  const proc = spawn(BIN, ["-c", "litevite.toml", "--listen", `127.0.0.1:${port}`], {
    cwd: dir,
    stdio: ["ignore", log, log],
    env: { ...process.env, NO_COLOR: "1" },
  });
  const url = `http://127.0.0.1:${port}/`;
  const demo = { dir, port, url, proc, logPath, log: () => fs.readFileSync(logPath, "utf8") };
  try {
    await waitUntil("the demo through the gateway", 60_000, async () => {
      const page = await fetch(url);
      const client = await fetch(`${url}static/@vite/client`);
      return page.status === 200 && client.status === 200;
    });
  } catch (e) {
    await stopDemo(demo);
    throw new Error(`${e.message}\n--- gateway output ---\n${demo.log()}`);
  }
  return demo;
}

/** SIGTERM by PID; the gateway stops its own children. SIGKILL after 15 s. */
export async function stopDemo(demo) {
  if (demo.proc.exitCode === null && demo.proc.signalCode === null) {
    const exited = new Promise((r) => demo.proc.once("exit", r));
    demo.proc.kill("SIGTERM");
    const timer = setTimeout(() => demo.proc.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(demo.dir, { recursive: true, force: true });
}

/** Direct children of `pid`: [{ pid, cmd }], read from /proc. */
export function childrenOf(pid) {
  const out = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[1]) !== pid || rest[0] === "Z") continue;
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      out.push({ pid: Number(name), cmd });
    } catch {}
  }
  return out;
}

/** Kills a supervised child's whole process group, as a crash would. */
export function killChild(demo, needle) {
  const child = childrenOf(demo.proc.pid).find((c) => c.cmd.includes(needle));
  if (!child) throw new Error(`no child matching ${needle}: ${JSON.stringify(childrenOf(demo.proc.pid))}`);
  process.kill(-child.pid, "SIGKILL");
  return child.pid;
}

/** Debian's chromium, headless, fresh profile; never a downloaded browser. */
export async function launchBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "litevite-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
