//! `litevite-gw codegen`: one pass for CI pipelines — export from the running app (or
//! take a given openapi.json), write routes.json / routes.ts, run openapi-ts.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::export;
use super::pipeline::{CodegenError, Pipeline};
use super::status::CodegenLog;
use crate::config::{Config, UpstreamName};

/// Runs every generator once; any failure is an error (the caller exits non-zero).
pub async fn run(
    config: &Config,
    openapi: Option<&Path>,
    wait: Duration,
) -> Result<(), CodegenError> {
    let cwd = config
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let pipeline = Pipeline::new(
        config.codegen.clone(),
        cwd,
        Arc::new(CodegenLog::default()),
        None,
    );
    let doc = match openapi {
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|e| export::ExportError::File {
                path: file.display().to_string(),
                cause: e.to_string(),
            })?;
            export::parse(&text).map_err(|cause| CodegenError::BadArtifact {
                file: file.display().to_string(),
                cause,
            })?
        }
        None => fetch_with_wait(config, wait).await?,
    };
    pipeline.on_exported(&doc)?;
    if config.codegen.openapi_ts.enabled {
        pipeline.run_openapi_ts().await?;
    }
    for run in pipeline.log.recent().iter().rev() {
        println!("{:<12} {}", run.generator, run.message);
    }
    Ok(())
}

async fn fetch_with_wait(
    config: &Config,
    wait: Duration,
) -> Result<serde_json::Value, CodegenError> {
    let Some(app) = config
        .upstream(&UpstreamName::app())
        .and_then(|u| u.address.clone())
    else {
        return Err(CodegenError::BadArtifact {
            file: "upstreams.app.address".into(),
            cause: "no app address".into(),
        });
    };
    let deadline = Instant::now() + wait;
    let mut said = false;
    loop {
        let (a, path) = (app.clone(), config.codegen.openapi_path.clone());
        let result =
            tokio::task::spawn_blocking(move || export::fetch(&a, &path, Duration::from_secs(10)))
                .await
                .unwrap_or_else(|e| {
                    Err(export::ExportError::Unreachable {
                        addr: app.authority.clone(),
                        cause: e.to_string(),
                    })
                });
        match result {
            Ok(doc) => return Ok(doc),
            Err(e) if e.is_unreachable() && Instant::now() < deadline => {
                if !said {
                    eprintln!("waiting up to {wait:?} for the app at {app} …");
                    said = true;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}
