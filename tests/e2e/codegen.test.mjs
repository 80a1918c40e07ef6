// Generated routes.ts against a real TypeScript compiler (tsc --strict) and a real JS
// runtime (node): a non-trivial table from a real Litestar app's schema, type errors
// that must be rejected, URL encoding, query strings, toRoute / isRoute.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { ROOT } from "./harness.mjs";

const TSC = path.join(ROOT, "tests/e2e/node_modules/typescript/bin/tsc");
let dir;
let routes;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "litevite-routes-ts-"));
  fs.writeFileSync(path.join(dir, "litevite.toml"), '[codegen]\ndir = "gen"\n[codegen.openapi_ts]\nenabled = false\n');
  const t0 = process.hrtime.bigint();
  execFileSync(path.join(ROOT, "target/debug/litevite-gw"), ["codegen", "--openapi", path.join(ROOT, "tests/fixtures/codegen/openapi.json")], {
    cwd: dir,
    stdio: "pipe",
  });
  console.log(`timing: litevite-gw codegen (36 routes, debug build, incl. process start) ${Number(process.hrtime.bigint() - t0) / 1e6} ms`);
  fs.writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }\n');
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        lib: ["es2022", "dom"],
        outDir: "dist",
        skipLibCheck: true,
      },
      include: ["gen/routes.ts", "usage.ts"],
    }),
  );
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

function tsc(...args) {
  try {
    execFileSync(process.execPath, [TSC, ...args], { cwd: dir, stdio: "pipe" });
    return "";
  } catch (e) {
    return `${e.stdout}${e.stderr}`;
  }
}

test("routes.ts type-checks under tsc --strict, and misuse is rejected", () => {
  fs.writeFileSync(
    path.join(dir, "usage.ts"),
    `import { route, hasRoute, getRoute, getRouteNames, toRoute, isRoute, currentRoute, isCurrentRoute,
  routeDefinitions, type RouteName, type RouteParams, type RoutePathParams, type RouteQueryParams } from "./gen/routes.js";

export const home: string = route("home");
export const detail = route("users:detail", { user_id: "0b3c2a44-1e8e-4c1b-9d43-8f1b8b0e7a11" });
export const list = route("users:list", { active: true, q: "x", tags: ["a", "b"], role: "admin" });
export const comment = route("posts.comment", { post_id: 1, comment_id: 2, highlight: true, extra: "y" });
export const name: RouteName = "search";
export const params: RouteParams<"posts.comment"> = { post_id: 1, comment_id: 2 };
export const pathOnly: RoutePathParams["files.get"] = { file_path: "a/b" };
export const queryOnly: RouteQueryParams["search"] = { q: ["x"], sort: "desc" };
export const helpers = [hasRoute("x"), getRoute("home").path, getRouteNames().length, toRoute("/"), isRoute("/", "h*"),
  currentRoute(), isCurrentRoute("home"), routeDefinitions["search"].method];

// @ts-expect-error a required path parameter is missing
route("users:detail");
// @ts-expect-error a required path parameter is missing from the object
route("users:detail", {});
// @ts-expect-error the required query parameter 'active' is missing
route("users:list", {});
// @ts-expect-error unknown route name
route("no-such-route");
// @ts-expect-error a number parameter given a string
route("posts.comment", { post_id: "one", comment_id: 2 });
// @ts-expect-error a value outside the enum
route("users:list", { active: true, role: "root" });
// @ts-expect-error the sort literal union
route("search", { q: ["x"], sort: "sideways" });
`,
  );
  const out = tsc("--noEmit", "-p", ".");
  assert.equal(out, "", out);
  // The same file without the expect-error markers must fail: the errors are real.
  const bad = fs.readFileSync(path.join(dir, "usage.ts"), "utf8").replaceAll("// @ts-expect-error", "//");
  fs.writeFileSync(path.join(dir, "usage.ts"), bad);
  const errors = tsc("--noEmit", "-p", ".");
  const count = (errors.match(/error TS/g) || []).length;
  assert.equal(count, 7, errors);
});

test("routes.ts runs in plain node (no Vite) and builds correct URLs", async () => {
  fs.writeFileSync(path.join(dir, "usage.ts"), "export {};\n");
  const out = tsc("-p", ".");
  assert.equal(out, "", out);
  routes = await import(pathToFileURL(path.join(dir, "dist/gen/routes.js")).href);
  const { route, toRoute, isRoute, hasRoute, getRouteNames, currentRoute, isCurrentRoute, getRoute } = routes;

  assert.equal(route("home"), "/");
  assert.equal(route("users:detail", { user_id: "a/b c?" }), "/api/users/a%2Fb%20c%3F");
  assert.equal(route("users:list", { active: true, tags: ["x", "y"], q: "ü&=" }), "/api/users?active=true&q=%C3%BC%26%3D&tags=x&tags=y");
  assert.equal(route("posts.comment", { post_id: 1, comment_id: 2, extra: "e", skip: undefined }), "/api/posts/1/comments/2?extra=e");
  assert.equal(route("files.get", { file_path: "docs/readme.md" }), "/files/docs%2Freadme.md");
  assert.equal(route("reports.r03", { year: 2024, fmt: "csv" }), "/api/reports/r3/2024?fmt=csv");
  assert.throws(() => route("users:detail", {}), /missing path parameter "user_id"/);
  assert.throws(() => route("nope"), /unknown route name/);

  assert.equal(toRoute("/api/users/123"), "users:detail");
  assert.equal(toRoute("http://devbox.test:8000/api/posts/1/comments/2?x=1#top"), "posts.comment");
  assert.equal(toRoute("/api/reports/r11/1999/"), "reports.r11");
  assert.equal(toRoute("/nowhere"), null);
  assert.equal(isRoute("/api/reports/r3/2024", "reports.*"), true);
  assert.equal(isRoute("/api/users", "posts.*"), false);
  assert.equal(isRoute("/api/users", "users:*"), true);
  assert.equal(hasRoute("search"), true);
  assert.equal(hasRoute("toString"), false);
  assert.equal(getRouteNames().length, 36);
  assert.deepEqual(getRoute("users:update_put").methods, ["PUT"]);
  assert.equal(currentRoute(), null);
  assert.equal(isCurrentRoute("home"), false);
});
