// HMR latency: file write → Vite's `update` message on the HMR socket, through
// litevite-gw vs straight to Vite, in the same run. Vite and the app are supervised by the
// gateway (a copy of the bundled demo); the direct socket goes to Vite's own port.
//   node bench/hmr_latency.mjs [--rounds 30]
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";

import { childrenOf, startDemo, stopDemo } from "../tests/e2e/harness.mjs";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "30" } } });
const rounds = Number(values.rounds);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open(url, origin) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, "vite-hmr", { headers: { Origin: origin } });
    ws.on("message", (m) => String(m).includes('"connected"') && resolve(ws));
    ws.on("error", reject);
  });
}

const demo = await startDemo();
try {
  const hot = fs.readFileSync(path.join(demo.dir, "demo/web/public/hot"), "utf8").trim();
  const vitePort = new URL(hot).port;
  const client = await (await fetch(`${demo.url}static/@vite/client`)).text();
  const token = /wsToken = "([^"]+)"/.exec(client)[1];
  const origin = demo.url.replace(/\/$/, "");
  const viaGateway = await open(`ws://127.0.0.1:${demo.port}/static/?token=${token}`, origin);
  const direct = await open(`ws://127.0.0.1:${vitePort}/static/?token=${token}`, origin);
  // Vite sends updates only for modules in its graph.
  await (await fetch(`${demo.url}static/src/main.js`)).text();
  await (await fetch(`${demo.url}static/src/greeting.js`)).text();
  const file = path.join(demo.dir, "demo/web/src/greeting.js");
  const arrival = (ws) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (String(m).includes('"update"')) {
          ws.off("message", on);
          resolve(process.hrtime.bigint());
        }
      };
      ws.on("message", on);
    });
  const gw = [];
  const dv = [];
  for (let i = 0; i < rounds; i++) {
    const a = arrival(viaGateway);
    const b = arrival(direct);
    const t0 = process.hrtime.bigint();
    fs.writeFileSync(file, `export const greeting = "round ${i}";\n`);
    const [ta, tb] = await Promise.all([a, b]);
    gw.push(Number(ta - t0) / 1e6);
    dv.push(Number(tb - t0) / 1e6);
    await sleep(150);
  }
  const stats = (v) => {
    const s = [...v].sort((x, y) => x - y);
    return { median: s[Math.floor(s.length / 2)], p90: s[Math.floor(s.length * 0.9)], min: s[0], max: s.at(-1) };
  };
  const g = stats(gw);
  const d = stats(dv);
  console.log(`# HMR: file write -> "update" frame, ${rounds} rounds (both sockets open at once)`);
  console.log(`target        median ms  p90 ms   min-max ms`);
  console.log(`direct Vite   ${d.median.toFixed(2).padStart(9)}  ${d.p90.toFixed(2).padStart(6)}   ${d.min.toFixed(1)}-${d.max.toFixed(1)}`);
  console.log(`litevite-gw   ${g.median.toFixed(2).padStart(9)}  ${g.p90.toFixed(2).padStart(6)}   ${g.min.toFixed(1)}-${g.max.toFixed(1)}`);
  console.log(`difference (gateway - direct), median of per-round differences: ${stats(gw.map((x, i) => x - dv[i])).median.toFixed(3)} ms`);
  viaGateway.terminate();
  direct.terminate();
  void childrenOf;
} finally {
  await stopDemo(demo);
}
