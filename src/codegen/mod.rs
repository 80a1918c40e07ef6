//! Code generation: export openapi.json from the app, derive routes.json, write
//! routes.ts, run @hey-api/openapi-ts and hooks — atomically, and only on change.

pub mod export;
pub mod oneshot;
pub mod openapi_ts;
pub mod pipeline;
pub mod routes_json;
pub mod routes_ts;
pub mod runner;
pub mod service;
pub mod status;
pub mod write;
