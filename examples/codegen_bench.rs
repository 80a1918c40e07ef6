//! Times routes.json → routes.ts (and OpenAPI → routes.json) for synthetic route tables of
//! 100 / 1,000 / 5,000 / 20,000 routes, in process. Run: `cargo run --release --example codegen_bench`.
//!
//! `codegen_bench --openapi FILE…` instead times the gateway's whole path from a real app's
//! exported `openapi.json` text (parse, derive routes.json, render routes.ts) and prints one
//! JSON line per file; bench/codegen_compare.py uses it against litestar-vite's generator.

use std::time::Instant;

/// The gateway binary's allocator, so the timings are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use litevite_gw::codegen::{routes_json::RouteTable, routes_ts};
use serde_json::{json, Value};

/// A synthetic OpenAPI document with `n` operations of mixed shapes.
fn synthetic_openapi(n: usize) -> Value {
    let mut paths = serde_json::Map::new();
    for i in 0..n {
        let params = match i % 4 {
            0 => json!([]),
            1 => {
                json!([{"name": "item_id", "in": "path", "required": true, "schema": {"type": "integer"}}])
            }
            2 => json!([
                {"name": "user_id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}},
                {"name": "q", "in": "query", "schema": {"oneOf": [{"type": "string"}, {"type": "null"}]}}
            ]),
            _ => json!([
                {"name": "day", "in": "path", "required": true, "schema": {"type": "string", "format": "date"}},
                {"name": "sort", "in": "query", "required": true, "schema": {"enum": ["asc", "desc"]}},
                {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}
            ]),
        };
        let path = match i % 4 {
            0 => format!("/api/r{i}"),
            1 => format!("/api/r{i}/{{item_id}}"),
            2 => format!("/api/r{i}/users/{{user_id}}"),
            _ => format!("/api/r{i}/days/{{day}}"),
        };
        paths.insert(path, json!({"get": {"operationId": format!("group{}:route.{i}", i % 10), "parameters": params}}));
    }
    json!({"openapi": "3.1.0", "info": {"title": "synthetic", "version": "1"}, "paths": paths})
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median milliseconds of 7 runs of text → routes.json + routes.ts, per file, and its parts.
fn time_files(files: &[String]) {
    for file in files {
        let text = std::fs::read_to_string(file).expect("readable openapi.json");
        let (mut total, mut parse, mut derive, mut render) = (vec![], vec![], vec![], vec![]);
        let mut out = (0, 0, 0);
        for _ in 0..7 {
            let t0 = Instant::now();
            let doc: Value = serde_json::from_str(&text).expect("JSON");
            let t1 = Instant::now();
            let table = RouteTable::from_openapi(&doc).expect("valid document");
            let json = table.to_json();
            let t2 = Instant::now();
            let ts = routes_ts::render(&table, "routes.json");
            let t3 = Instant::now();
            let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
            total.push(ms(t0, t3));
            parse.push(ms(t0, t1));
            derive.push(ms(t1, t2));
            render.push(ms(t2, t3));
            out = (table.routes.len(), json.len(), ts.len());
        }
        println!(
            "{}",
            json!({"file": file, "ms": median(total), "parse_ms": median(parse), "derive_ms": median(derive),
                   "render_ms": median(render), "routes": out.0, "routes_json_bytes": out.1, "routes_ts_bytes": out.2})
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--openapi") {
        return time_files(&args[1..]);
    }
    println!(
        "{:>7}  {:>16}  {:>14}  {:>14}  {:>12}",
        "routes", "openapi->json ms", "parse json ms", "render ts ms", "routes.ts KB"
    );
    for n in [100, 1_000, 5_000, 20_000] {
        let doc = synthetic_openapi(n);
        let mut derive = Vec::new();
        let mut render = Vec::new();
        let mut parse = Vec::new();
        let mut size = 0;
        for _ in 0..7 {
            let t = Instant::now();
            let table = RouteTable::from_openapi(&doc).expect("valid document");
            let json = table.to_json();
            derive.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            let table = RouteTable::parse(&json).expect("our own routes.json");
            parse.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            let ts = routes_ts::render(&table, "routes.json");
            render.push(t.elapsed().as_secs_f64() * 1000.0);
            size = ts.len();
        }
        println!(
            "{n:>7}  {:>16.2}  {:>14.2}  {:>14.2}  {:>12}",
            median(derive),
            median(parse),
            median(render),
            size / 1024
        );
    }
}
