// Soak: the gateway supervising the bundled demo holds N HMR WebSockets and sustained
// HTTP load (app and Vite requests) for a while, on loopback only, then reports errors,
// socket survival and the gateway's RSS over time. Bounded in count and time.
//   node bench/soak.mjs --minutes 10 --sockets 1000 --concurrency 16
import fs from "node:fs";
import { parseArgs } from "node:util";
import WebSocket from "ws";

import { startDemo, stopDemo } from "../tests/e2e/harness.mjs";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    sockets: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "16" },
    out: { type: "string", default: "" },
  },
});
const minutes = Number(values.minutes);
const socketCount = Number(values.sockets);
const concurrency = Number(values.concurrency);

const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const demo = await startDemo();
const pid = demo.proc.pid;
const report = { minutes, sockets: socketCount, concurrency, samples: [] };
let stop = false;
try {
  const client = await (await fetch(`${demo.url}static/@vite/client`)).text();
  const token = /wsToken = "([^"]+)"/.exec(client)[1];
  report.idle_rss_mb = rss(pid);

  // Open the sockets in batches; every one must get Vite's "connected".
  const sockets = [];
  let unexpectedCloses = 0;
  let closedBeforeConnected = 0;
  for (let i = 0; i < socketCount; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(i + 50, socketCount); j++) {
      batch.push(
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${demo.port}/static/?token=${token}`, "vite-hmr", {
            headers: { Origin: demo.url.replace(/\/$/, "") },
          });
          const timer = setTimeout(() => reject(new Error("no connected frame in 30 s")), 30_000);
          ws.on("message", (m) => {
            if (String(m).includes('"connected"')) {
              clearTimeout(timer);
              resolve(ws);
            }
          });
          let connected = false;
          ws.on("message", (m) => {
            if (String(m).includes('"connected"')) connected = true;
          });
          ws.on("error", reject);
          ws.on("close", (code) => {
            if (!connected) {
              // Closed right after the handshake (pingora#946): count it, open another.
              clearTimeout(timer);
              closedBeforeConnected++;
              resolve(null);
            } else if (!stop) unexpectedCloses++;
          });
        }),
      );
    }
    sockets.push(...(await Promise.all(batch)).filter(Boolean));
  }
  report.closed_right_after_101 = closedBeforeConnected;
  if (sockets.length < socketCount) console.log(`${socketCount - sockets.length} sockets closed right after their 101`);
  report.rss_with_sockets_mb = rss(pid);
  console.log(`opened ${sockets.length} HMR sockets; RSS ${report.rss_with_sockets_mb.toFixed(1)} MB`);

  // Vite's client pings every 30 s; do the same so the sockets look like real tabs.
  const pinger = setInterval(() => sockets.forEach((ws) => ws.readyState === 1 && ws.send('{"type":"ping"}')), 30_000);

  let requests = 0;
  let errors = 0;
  const targets = ["api/todos", "static/src/main.js", "static/src/style.css", "api/hello/soak?excited=true"];
  const worker = async (n) => {
    let i = n;
    while (!stop) {
      const url = demo.url + targets[i++ % targets.length];
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        if (res.status !== 200) errors++;
      } catch {
        errors++;
      }
      requests++;
    }
  };
  const started = Date.now();
  const workers = Array.from({ length: concurrency }, (_, n) => worker(n));
  while (Date.now() - started < minutes * 60_000) {
    await sleep(Math.min(10_000, minutes * 60_000));
    const sample = { t_s: Math.round((Date.now() - started) / 1000), rss_mb: rss(pid), requests, errors };
    report.samples.push(sample);
    console.log(JSON.stringify(sample));
  }
  stop = true;
  await Promise.all(workers);
  clearInterval(pinger);
  const open = sockets.filter((ws) => ws.readyState === 1).length;
  report.sockets_opened = sockets.length;
  const metrics = await (await fetch(`${demo.url}_litevite/metrics`)).text();
  const early = /litevite_websocket_early_closes_total\{upstream="vite"\} (\d+)/.exec(metrics);
  Object.assign(report, {
    requests,
    errors,
    req_per_s: Math.round(requests / (minutes * 60)),
    sockets_still_open: open,
    unexpected_closes: unexpectedCloses,
    early_closes_metric: early ? Number(early[1]) : 0,
    rss_first_sample_mb: report.samples[0]?.rss_mb,
    rss_last_sample_mb: report.samples.at(-1)?.rss_mb,
    rss_max_mb: Math.max(...report.samples.map((s) => s.rss_mb)),
  });
  sockets.forEach((ws) => ws.terminate());
} finally {
  stop = true;
  await stopDemo(demo);
}
console.log(JSON.stringify(report, null, 2));
if (values.out) fs.writeFileSync(values.out, JSON.stringify(report, null, 2));
const ok = report.errors === 0 && report.unexpected_closes === 0 && report.sockets_still_open === report.sockets_opened;
process.exit(ok ? 0 : 1);
