//! routes.json: the route table in litestar-vite's shape, derived from an OpenAPI
//! document (`routes = "derive"`) or read from a file someone else writes (both
//! litestar-vite shapes). Pure: JSON in, JSON out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a document could not be turned into routes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutesError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("not an OpenAPI 3 document: {0}")]
    NotOpenApi(String),
    #[error("not a routes.json document: {0}")]
    NotRoutes(String),
}

/// One route, as litestar-vite writes it. Fields are declared in the sorted order of their
/// JSON names, so serialising the struct writes sorted keys as litestar-vite does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RouteEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    pub method: String,
    pub methods: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameter_types: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query_parameters: BTreeMap<String, String>,
    pub uri: String,
}

/// The whole table, keyed (and so sorted) by route name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RouteTable {
    pub routes: BTreeMap<String, RouteEntry>,
}

impl RouteTable {
    /// Canonical text: keys sorted, 2-space indent, trailing newline.
    pub fn to_json(&self) -> String {
        // Keys come out sorted without a detour through `Value`: maps are BTreeMaps and
        // RouteEntry's fields are declared in sorted order (pinned by a test).
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads routes.json in either litestar-vite shape: the current one
    /// (`{user_id}`, TS types) or the older one (`{user_id:int}`, Litestar types).
    pub fn parse(text: &str) -> Result<RouteTable, RoutesError> {
        let doc: Value =
            serde_json::from_str(text).map_err(|e| RoutesError::Json(e.to_string()))?;
        let routes = doc
            .get("routes")
            .and_then(Value::as_object)
            .ok_or_else(|| RoutesError::NotRoutes("no \"routes\" object".into()))?;
        let mut table = RouteTable::default();
        for (name, raw) in routes {
            let uri = raw
                .get("uri")
                .and_then(Value::as_str)
                .ok_or_else(|| RoutesError::NotRoutes(format!("route {name:?} has no \"uri\"")))?;
            let methods: Vec<String> = raw
                .get("methods")
                .and_then(Value::as_array)
                .map(|m| {
                    m.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_ascii_uppercase)
                        .collect()
                })
                .unwrap_or_else(|| vec!["GET".into()]);
            let (clean_uri, inline_types) = normalize_uri(uri);
            let mut parameter_types: BTreeMap<String, String> = BTreeMap::new();
            if let Some(types) = raw.get("parameterTypes").and_then(Value::as_object) {
                for (k, v) in types {
                    if let Some(t) = v.as_str() {
                        parameter_types.insert(k.clone(), litestar_type_to_ts(t));
                    }
                }
            }
            for (k, t) in &inline_types {
                parameter_types
                    .entry(k.clone())
                    .or_insert_with(|| litestar_type_to_ts(t));
            }
            let parameters = raw
                .get("parameters")
                .and_then(Value::as_array)
                .map(|p| {
                    p.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_else(|| path_params(&clean_uri));
            for p in &parameters {
                parameter_types
                    .entry(p.clone())
                    .or_insert_with(|| "string".into());
            }
            let query_parameters = raw
                .get("queryParameters")
                .and_then(Value::as_object)
                .map(|q| {
                    q.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_str().map_or("string | undefined".into(), String::from),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            table.routes.insert(
                name.clone(),
                RouteEntry {
                    method: raw
                        .get("method")
                        .and_then(Value::as_str)
                        .map(str::to_ascii_lowercase)
                        .unwrap_or_else(|| primary_method(&methods)),
                    uri: clean_uri,
                    methods,
                    parameters,
                    parameter_types,
                    query_parameters,
                    component: raw
                        .get("component")
                        .and_then(Value::as_str)
                        .map(String::from),
                },
            );
        }
        Ok(table)
    }

    /// Derives the table from an OpenAPI 3.x document: one entry per operation,
    /// NAME = operationId (operations sharing an operationId and path merge their methods).
    pub fn from_openapi(doc: &Value) -> Result<RouteTable, RoutesError> {
        check_openapi(doc)?;
        let resolver = Resolver { doc };
        let mut table = RouteTable::default();
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| RoutesError::NotOpenApi("no \"paths\"".into()))?;
        for (path, item) in paths {
            let shared_params: Vec<&Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let base_name = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(String::from)
                    .unwrap_or_else(|| fallback_name(method, path));
                let mut entry = RouteEntry {
                    uri: path.clone(),
                    methods: vec![method.to_ascii_uppercase()],
                    method: method.into(),
                    parameters: path_params(path),
                    ..RouteEntry::default()
                };
                let own: Vec<&Value> = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().collect())
                    .unwrap_or_default();
                for param in shared_params.iter().chain(own.iter()) {
                    let param = resolver.deref(param);
                    let (Some(name), Some(location)) = (
                        param.get("name").and_then(Value::as_str),
                        param.get("in").and_then(Value::as_str),
                    ) else {
                        continue;
                    };
                    let schema = param.get("schema").map(|s| resolver.deref(s));
                    let ts =
                        schema.map_or_else(|| "string".to_string(), |s| resolver.ts_type(s, 0));
                    match location {
                        "path" => {
                            entry.parameter_types.insert(name.into(), ts);
                        }
                        "query" => {
                            let required = param
                                .get("required")
                                .and_then(Value::as_bool)
                                .unwrap_or(false);
                            let ts = if required {
                                ts
                            } else {
                                format!("{ts} | undefined")
                            };
                            entry.query_parameters.insert(name.into(), ts);
                        }
                        _ => {}
                    }
                }
                for p in &entry.parameters {
                    entry
                        .parameter_types
                        .entry(p.clone())
                        .or_insert_with(|| "string".into());
                }
                match table.routes.get_mut(&base_name) {
                    Some(existing) if existing.uri == entry.uri => {
                        existing.methods.push(entry.methods[0].clone());
                        existing.method = primary_method(&existing.methods);
                        for (k, v) in entry.query_parameters {
                            existing.query_parameters.entry(k).or_insert(v);
                        }
                    }
                    Some(_) => {
                        let name = unique_name(&table, &base_name, method);
                        table.routes.insert(name, entry);
                    }
                    None => {
                        table.routes.insert(base_name, entry);
                    }
                }
            }
        }
        for entry in table.routes.values_mut() {
            entry.methods.sort_by_key(|m| method_rank(m));
        }
        Ok(table)
    }
}

/// Checks the document looks like OpenAPI 3 with paths (what `export` validates).
pub fn check_openapi(doc: &Value) -> Result<(), RoutesError> {
    let version = doc
        .get("openapi")
        .and_then(Value::as_str)
        .ok_or_else(|| RoutesError::NotOpenApi("no \"openapi\" version field".into()))?;
    if !version.starts_with("3.") {
        return Err(RoutesError::NotOpenApi(format!(
            "version {version:?} is not 3.x"
        )));
    }
    if !doc.get("paths").is_some_and(Value::is_object) {
        return Err(RoutesError::NotOpenApi("no \"paths\" object".into()));
    }
    Ok(())
}

fn method_rank(m: &str) -> usize {
    ["GET", "POST", "PUT", "PATCH", "DELETE"]
        .iter()
        .position(|x| *x == m)
        .unwrap_or(9)
}

/// The primary method, in litestar-vite's priority: GET > POST > PUT > PATCH > DELETE.
fn primary_method(methods: &[String]) -> String {
    methods
        .iter()
        .min_by_key(|m| method_rank(m))
        .map_or_else(|| "get".into(), |m| m.to_ascii_lowercase())
}

fn fallback_name(method: &str, path: &str) -> String {
    let slug: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .collect();
    if slug.is_empty() {
        format!("{method}_root")
    } else {
        format!("{method}_{}", slug.join("_"))
    }
}

fn unique_name(table: &RouteTable, base: &str, method: &str) -> String {
    let candidate = format!("{base}_{method}");
    if !table.routes.contains_key(&candidate) {
        return candidate;
    }
    (2..)
        .map(|n| format!("{candidate}_{n}"))
        .find(|c| !table.routes.contains_key(c))
        .unwrap_or(candidate)
}

/// `{name}` placeholders of a URI template, in order.
pub fn path_params(uri: &str) -> Vec<String> {
    uri.split('{')
        .skip(1)
        .filter_map(|s| {
            s.split_once('}')
                .map(|(p, _)| p.split(':').next().unwrap_or(p).to_string())
        })
        .collect()
}

/// `{id:int}` → `{id}`, returning the inline types.
fn normalize_uri(uri: &str) -> (String, Vec<(String, String)>) {
    let mut out = String::with_capacity(uri.len());
    let mut types = Vec::new();
    let mut rest = uri;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 1..start + end];
        match inner.split_once(':') {
            Some((name, ty)) => {
                out.push_str(&format!("{{{name}}}"));
                types.push((name.to_string(), ty.to_string()));
            }
            None => out.push_str(&format!("{{{inner}}}")),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    (out, types)
}

/// Raw Litestar path types (older routes.json shape) to TS; TS types pass through.
fn litestar_type_to_ts(t: &str) -> String {
    match t {
        "int" | "float" | "decimal" | "integer" | "number" => "number".into(),
        "str" | "path" | "string" => "string".into(),
        "uuid" => "UUID".into(),
        "datetime" => "DateTime".into(),
        "date" => "DateOnly".into(),
        "time" | "timedelta" => "string".into(),
        "bool" | "boolean" => "boolean".into(),
        other => other.into(),
    }
}

/// Resolves local `$ref`s and maps JSON Schemas to TypeScript type strings.
struct Resolver<'a> {
    doc: &'a Value,
}

/// Deepest `$ref` chain followed before giving up (cycles).
const MAX_DEPTH: usize = 8;

impl<'a> Resolver<'a> {
    fn deref(&self, v: &'a Value) -> &'a Value {
        let mut current = v;
        for _ in 0..MAX_DEPTH {
            let Some(r) = current.get("$ref").and_then(Value::as_str) else {
                return current;
            };
            match r.strip_prefix('#').and_then(|p| self.doc.pointer(p)) {
                Some(target) => current = target,
                None => return current,
            }
        }
        current
    }

    fn ts_type(&self, schema: &Value, depth: usize) -> String {
        if depth > MAX_DEPTH {
            return "unknown".into();
        }
        let schema = self.deref(schema);
        if let Some(c) = schema.get("const") {
            return literal(c).unwrap_or_else(|| "unknown".into());
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let lits: Vec<String> = values.iter().filter_map(literal).collect();
            if !lits.is_empty() {
                return union(lits);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = schema.get(key).and_then(Value::as_array) {
                let parts: Vec<String> = options
                    .iter()
                    .filter(|o| self.deref(o).get("type").and_then(Value::as_str) != Some("null"))
                    .map(|o| self.ts_type(o, depth + 1))
                    .collect();
                if !parts.is_empty() {
                    return union(parts);
                }
            }
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            if all.len() == 1 {
                return self.ts_type(&all[0], depth + 1);
            }
        }
        match schema.get("type") {
            Some(Value::Array(types)) => {
                let parts: Vec<String> = types
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "null")
                    .map(|t| {
                        let mut single = schema.clone();
                        single["type"] = Value::String(t.into());
                        self.ts_type(&single, depth + 1)
                    })
                    .collect();
                if parts.is_empty() {
                    "null".into()
                } else {
                    union(parts)
                }
            }
            Some(Value::String(t)) => match t.as_str() {
                "integer" | "number" => "number".into(),
                "boolean" => "boolean".into(),
                "string" => match schema.get("format").and_then(Value::as_str) {
                    Some("uuid") => "UUID".into(),
                    Some("date-time") => "DateTime".into(),
                    Some("date") => "DateOnly".into(),
                    Some("email") => "Email".into(),
                    Some("uri" | "url") => "URI".into(),
                    _ => "string".into(),
                },
                "array" => {
                    let item = schema
                        .get("items")
                        .map_or_else(|| "unknown".to_string(), |i| self.ts_type(i, depth + 1));
                    if item.contains(' ') {
                        format!("({item})[]")
                    } else {
                        format!("{item}[]")
                    }
                }
                "object" => "Record<string, unknown>".into(),
                "null" => "null".into(),
                _ => "unknown".into(),
            },
            _ => "string".into(),
        }
    }
}

fn literal(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(serde_json::to_string(s).unwrap_or_default()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn union(parts: Vec<String>) -> String {
    let mut seen: Vec<String> = Vec::new();
    for p in parts
        .into_iter()
        .flat_map(|p| p.split(" | ").map(String::from).collect::<Vec<_>>())
    {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen.join(" | ")
}

#[cfg(test)]
mod tests;
