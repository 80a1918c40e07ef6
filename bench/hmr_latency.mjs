// HMR latency, through litevite-gw vs straight to Vite, in the same run. Vite and the app
// are supervised by the gateway (a copy of the bundled demo).
//  1. file write → Vite's `update` message, on two sockets open at once (one through the
//     gateway, one to Vite's own port);
//  2. file write → the DOM change in headless Chromium, on two pages open at once: the demo
//     page through the gateway, and the same page served from Vite's own origin (its HMR
//     socket then goes straight to Vite). Each page stamps the change with a
//     MutationObserver; the write is stamped on the same clock (performance.timeOrigin).
//   node bench/hmr_latency.mjs [--rounds 30]
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";

import { launchBrowser, startDemo, stopDemo } from "../tests/e2e/harness.mjs";

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

const stats = (v) => {
  const s = [...v].sort((x, y) => x - y);
  return { median: s[Math.floor(s.length / 2)], p90: s[Math.floor(s.length * 0.9)], min: s[0], max: s.at(-1) };
};
function report(title, gw, dv) {
  const g = stats(gw);
  const d = stats(dv);
  console.log(title);
  console.log(`target        median ms  p90 ms   min-max ms`);
  console.log(`direct Vite   ${d.median.toFixed(2).padStart(9)}  ${d.p90.toFixed(2).padStart(6)}   ${d.min.toFixed(1)}-${d.max.toFixed(1)}`);
  console.log(`litevite-gw   ${g.median.toFixed(2).padStart(9)}  ${g.p90.toFixed(2).padStart(6)}   ${g.min.toFixed(1)}-${g.max.toFixed(1)}`);
  console.log(`difference (gateway - direct), median of per-round differences: ${stats(gw.map((x, i) => x - dv[i])).median.toFixed(3)} ms\n`);
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
  report(`# HMR: file write -> "update" frame, ${rounds} rounds (both sockets open at once)`, gw, dv);
  viaGateway.terminate();
  direct.terminate();

  // 2. In the browser.
  const browser = await launchBrowser();
  try {
    const sockets = { gateway: [], direct: [] };
    const gwPage = await browser.context.newPage();
    gwPage.on("websocket", (ws) => sockets.gateway.push(new URL(ws.url()).port));
    await gwPage.goto(demo.url, { waitUntil: "load" });
    const directPage = await browser.context.newPage();
    directPage.on("websocket", (ws) => sockets.direct.push(new URL(ws.url()).port));
    // The demo's HTML on Vite's origin: its /static/ scripts and HMR socket are Vite's own.
    await directPage.goto(`http://127.0.0.1:${vitePort}/static/src/greeting.js`);
    await directPage.setContent(await (await fetch(demo.url)).text(), { waitUntil: "load" });
    const pages = { gateway: gwPage, direct: directPage };
    for (const page of Object.values(pages)) {
      await page.waitForFunction(() => document.querySelector("#greeting")?.textContent);
      await page.evaluate(() => {
        window.__changes = [];
        const el = document.querySelector("#greeting");
        new MutationObserver(() => window.__changes.push({ t: performance.timeOrigin + performance.now(), text: el.textContent })).observe(el, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
    }
    await sleep(500);
    if (!sockets.gateway.includes(String(demo.port)) || sockets.direct.includes(String(demo.port))) {
      throw new Error(`HMR sockets on the wrong ports: ${JSON.stringify(sockets)} (gateway ${demo.port}, Vite ${vitePort})`);
    }
    const domGw = [];
    const domDv = [];
    for (let i = 0; i < rounds; i++) {
      const text = `dom round ${i}`;
      const t0 = performance.timeOrigin + performance.now();
      fs.writeFileSync(file, `export const greeting = "${text}";\n`);
      const seen = async (page) => {
        await page.waitForFunction((t) => window.__changes.some((c) => c.text === t), text, { timeout: 10_000 });
        return page.evaluate((t) => window.__changes.find((c) => c.text === t).t, text);
      };
      const [tg, td] = await Promise.all([seen(gwPage), seen(directPage)]);
      domGw.push(tg - t0);
      domDv.push(td - t0);
      await sleep(150);
    }
    report(`# HMR: file write -> DOM change in Chromium, ${rounds} rounds (both pages open at once; HMR sockets on ports ${sockets.gateway[0]} and ${sockets.direct[0]})`, domGw, domDv);
  } finally {
    await browser.close();
  }
} finally {
  await stopDemo(demo);
}
