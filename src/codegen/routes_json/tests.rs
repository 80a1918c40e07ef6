//! OpenAPI → routes.json mapping, on inline schemas for each rule.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::*;

fn derive(paths: Value) -> RouteTable {
    RouteTable::from_openapi(
        &json!({"openapi": "3.1.0", "info": {}, "paths": paths, "components": {"schemas": {
            "Priority": {"type": "string", "enum": ["low", "high"]},
            "Body": {"type": "object", "properties": {}}
        }}}),
    )
    .unwrap()
}

#[test]
fn path_and_query_parameters_get_typescript_types() {
    let t = derive(json!({
        "/api/items/{item_id}": {"get": {"operationId": "items:detail", "parameters": [
            {"name": "item_id", "in": "path", "required": true, "schema": {"type": "integer"}},
            {"name": "q", "in": "query", "required": false, "schema": {"oneOf": [{"type": "string"}, {"type": "null"}]}},
            {"name": "at", "in": "query", "required": true, "schema": {"type": "string", "format": "date-time"}},
            {"name": "ids", "in": "query", "schema": {"type": "array", "items": {"type": "string", "format": "uuid"}}},
            {"name": "prio", "in": "query", "schema": {"$ref": "#/components/schemas/Priority"}},
            {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"enum": ["a", "b"]}}},
            {"name": "n", "in": "query", "schema": {"type": ["integer", "null"]}},
            {"name": "X-Trace", "in": "header", "schema": {"type": "string"}}
        ]}}
    }));
    let r = &t.routes["items:detail"];
    assert_eq!(r.uri, "/api/items/{item_id}");
    assert_eq!(r.parameters, vec!["item_id"]);
    assert_eq!(r.parameter_types["item_id"], "number");
    assert_eq!(r.query_parameters["q"], "string | undefined");
    assert_eq!(r.query_parameters["at"], "DateTime");
    assert_eq!(r.query_parameters["ids"], "UUID[] | undefined");
    assert_eq!(r.query_parameters["prio"], "\"low\" | \"high\" | undefined");
    assert_eq!(r.query_parameters["tags"], "(\"a\" | \"b\")[] | undefined");
    assert_eq!(r.query_parameters["n"], "number | undefined");
    assert!(!r.query_parameters.contains_key("X-Trace"));
}

#[test]
fn methods_merge_per_operation_id_and_primary_method_is_chosen() {
    let t = derive(json!({
        "/api/items": {
            "post": {"operationId": "items"},
            "get": {"operationId": "items"},
            "head": {"operationId": "items_head"}
        },
        "/api/other": {"get": {"operationId": "items"}},
        "/no/id/{x}": {"delete": {}}
    }));
    let r = &t.routes["items"];
    assert_eq!(r.methods, vec!["GET", "POST"]);
    assert_eq!(r.method, "get");
    assert_eq!(t.routes["items_get"].uri, "/api/other");
    assert_eq!(t.routes["delete_no_id"].parameters, vec!["x"]);
    assert_eq!(t.routes["delete_no_id"].parameter_types["x"], "string");
    assert!(!t.routes.contains_key("items_head"));
}

#[test]
fn rejects_documents_that_are_not_openapi_3() {
    assert!(RouteTable::from_openapi(&json!({"swagger": "2.0", "paths": {}})).is_err());
    assert!(RouteTable::from_openapi(&json!({"openapi": "3.0.0"})).is_err());
    assert!(RouteTable::from_openapi(&json!([1, 2])).is_err());
}

#[test]
fn reads_the_older_litestar_vite_shape() {
    let t = RouteTable::parse(
        r#"{"routes": {"u": {"uri": "/users/{user_id:uuid}/posts/{n:int}", "methods": ["get", "post"],
                              "parameterTypes": {"user_id": "uuid"}},
                        "f": {"uri": "/files/{p:path}", "methods": ["GET"]}}}"#,
    )
    .unwrap();
    let u = &t.routes["u"];
    assert_eq!(u.uri, "/users/{user_id}/posts/{n}");
    assert_eq!(u.parameters, vec!["user_id", "n"]);
    assert_eq!(u.parameter_types["user_id"], "UUID");
    assert_eq!(u.parameter_types["n"], "number");
    assert_eq!(u.methods, vec!["GET", "POST"]);
    assert_eq!(u.method, "get");
    assert_eq!(t.routes["f"].parameter_types["p"], "string");
}

#[test]
fn canonical_json_is_sorted_indented_and_newline_terminated() {
    let t = RouteTable::parse(r#"{"routes": {"b": {"uri": "/b", "methods": ["GET"]}, "a": {"uri": "/a/{x}", "methods": ["GET"]}}}"#).unwrap();
    let text = t.to_json();
    assert!(text.ends_with("}\n"));
    assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
    assert!(text.contains("\n  \"routes\": {\n    \"a\": {"));
    assert_eq!(RouteTable::parse(&text).unwrap(), t);
    assert!(text.contains("\"parameterTypes\""));
}

#[test]
fn every_field_serialises_in_sorted_key_order() {
    // to_json relies on RouteEntry's declaration order; a Value detour sorts for sure.
    let mut entry = RouteEntry {
        component: Some("Page".into()),
        method: "get".into(),
        methods: vec!["GET".into()],
        parameters: vec!["id".into()],
        uri: "/x/{id}".into(),
        ..RouteEntry::default()
    };
    entry.parameter_types.insert("id".into(), "number".into());
    entry
        .query_parameters
        .insert("q".into(), "string | undefined".into());
    let t = RouteTable {
        routes: [("x".to_string(), entry)].into_iter().collect(),
    };
    let sorted = serde_json::to_string_pretty(&serde_json::to_value(&t).unwrap()).unwrap() + "\n";
    assert_eq!(t.to_json(), sorted);
}
