// The bundled demo through litevite-gw in real headless Chromium: app data renders,
// Vite's HMR works through the one port (JS and CSS, no reload), a crashed Vite is
// restarted and the page recovers, and an app outage shows the gateway's error
// page, which turns back into the app page by itself.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { ROOT, killChild, launchBrowser, startDemo, stopDemo, waitUntil } from "./harness.mjs";

let demo;
let browser;
let page;
const consoleLines = [];
const requests = [];
const sockets = [];

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on("console", (msg) => consoleLines.push(msg.text()));
  page.on("request", (req) => requests.push(req.url()));
  page.on("websocket", (ws) => sockets.push(ws.url()));
});

after(async () => {
  await browser?.close();
  if (demo) await stopDemo(demo);
});

const countConnected = () => consoleLines.filter((l) => l.includes("[vite] connected.")).length;

test("the page renders data from the app", async () => {
  const t0 = Date.now();
  await page.goto(demo.url, { waitUntil: "load" });
  await page.waitForSelector("#todos .todo");
  const loadMs = Date.now() - t0;
  const titles = await page.$$eval("#todos .todo", (els) => els.map((e) => e.textContent));
  assert.ok(titles.includes("Start the gateway with one command"), JSON.stringify(titles));
  assert.equal(await page.textContent("#greeting"), "Hello from Vite");
  const nav = await page.evaluate(() => performance.getEntriesByType("navigation")[0].toJSON());
  console.log(`timing: page load ${loadMs} ms (navigation to load event ${Math.round(nav.loadEventEnd)} ms)`);
});

test("the console shows [vite] connected.", async () => {
  await waitUntil("[vite] connected.", 10_000, () => countConnected() >= 1);
});

test("every request and the HMR socket use the gateway's port only", async () => {
  await waitUntil("the HMR socket", 10_000, () => sockets.length > 0);
  const port = String(demo.port);
  for (const url of [...requests, ...sockets]) {
    if (!/^(https?|wss?):/.test(url)) continue;
    assert.equal(new URL(url).port, port, `${url} did not go through the gateway`);
  }
  assert.ok(
    sockets.some((s) => s.startsWith(`ws://127.0.0.1:${port}/static/`) && s.includes("token=")),
    JSON.stringify(sockets),
  );
});

test("editing a module updates the DOM without a full reload", async () => {
  await page.evaluate(() => {
    window.__liteviteMarker = "kept";
  });
  const file = path.join(demo.dir, "demo/web/src/greeting.js");
  const t0 = Date.now();
  fs.writeFileSync(file, 'export const greeting = "Hello from HMR";\n');
  await page.waitForFunction(() => document.querySelector("#greeting")?.textContent === "Hello from HMR");
  console.log(`timing: HMR (file write -> DOM) ${Date.now() - t0} ms`);
  assert.equal(await page.evaluate(() => window.__liteviteMarker), "kept");
});

test("editing CSS changes the computed style without a reload", async () => {
  const file = path.join(demo.dir, "demo/web/src/style.css");
  const css = fs.readFileSync(file, "utf8").replace("color: var(--accent);", "color: rgb(200, 30, 40);");
  const t0 = Date.now();
  fs.writeFileSync(file, css);
  await page.waitForFunction(() => getComputedStyle(document.querySelector("h1")).color === "rgb(200, 30, 40)");
  console.log(`timing: CSS HMR (file write -> computed style) ${Date.now() - t0} ms`);
  assert.equal(await page.evaluate(() => window.__liteviteMarker), "kept");
});

test("the status page renders both upstreams, the routing table and codegen runs", async () => {
  const status = await browser.context.newPage();
  const errors = [];
  status.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  status.on("pageerror", (e) => errors.push(String(e)));
  await status.goto(`${demo.url}_litevite/status`);
  await status.waitForSelector(".up-card.up");
  const cards = await status.$$eval(".up-card .name", (els) => els.map((e) => e.textContent));
  assert.deepEqual(cards, ["app", "vite"]);
  assert.match(await status.textContent("#routes"), /Routing table/);
  assert.match(await status.textContent("#config"), /processes.vite/);
  await waitUntil("codegen runs on the page", 10_000, async () => (await status.$$(".run")).length > 0);
  await status.setViewportSize({ width: 1280, height: 900 });
  const shot = path.join(ROOT, "target", "status-page.png");
  await status.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
  assert.deepEqual(errors, []);
  await status.close();
});

test("a killed Vite is restarted by the supervisor and the page recovers by itself", async () => {
  const before = countConnected();
  killChild(demo, "vite --port");
  // Vite's client polls through the gateway, then reloads the page once Vite is back.
  await waitUntil("the page to reload after Vite's restart", 60_000, async () => {
    const marker = await page.evaluate(() => window.__liteviteMarker).catch(() => "navigating");
    return marker === undefined;
  });
  await page.waitForSelector("#todos .todo", { timeout: 30_000 });
  await waitUntil("[vite] connected. again", 30_000, () => countConnected() > before);
  const port = String(demo.port);
  for (const url of sockets) assert.equal(new URL(url).port, port, `${url} bypassed the gateway`);
  assert.match(demo.log(), /vite was killed by SIGKILL; restarting in 1 s/);
});

test("an app outage shows the gateway's error page, which turns back into the app by itself", async () => {
  killChild(demo, "uvicorn");
  const resp = await page.goto(demo.url, { waitUntil: "domcontentloaded" });
  assert.ok([502, 503].includes(resp.status()), `status ${resp.status()}`);
  assert.equal(resp.headers()["x-litevite-error"], "upstream-unavailable");
  const body = await page.textContent("body");
  assert.match(body, /litevite-gw/);
  assert.match(body, /app/);
  assert.match(body, /reloads by itself/);
  await page.waitForSelector("#todos .todo", { timeout: 60_000 });
  assert.equal(await page.title(), "litevite demo");
});
