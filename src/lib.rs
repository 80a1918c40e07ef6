//! litevite-gw: a Pingora gateway that gives Litestar + Vite projects one port,
//! and keeps their generated TypeScript in step with the app.

pub mod admin;
pub mod auth;
pub mod banner;
pub mod cli;
pub mod codegen;
pub mod config;
pub mod dashboard;
pub mod headers;
pub mod health;
pub mod metrics;
pub mod pages;
pub mod path;
pub mod process;
pub mod proxy;
pub mod reload;
pub mod routing;
pub mod server;
pub mod state;
pub mod upstream;
