//! `streamcomp-server`: the HTTP/WebSocket/metrics server over streamcomp-core.
//!
//! Start-up: `.env` and the environment → [`config::Config`] (a bad value stops here with one
//! line) → logs → metrics recorder → store (the embedded file, or Redis with `REDIS_URL`) →
//! the three listeners → [`state::AppState`] (the
//! scene composing from the start, stored layers restored) → serve on `PORT`, `WS_PORT` and
//! `METRICS_PORT` until SIGTERM or Ctrl-C, then stop the stream cleanly and save once more.

mod api;
mod app;
mod auth;
mod config;
mod error;
mod metrics;
mod panel;
mod state;
mod store;
mod ws;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::config::Config;
use crate::state::AppState;
use crate::store::Store;
use crate::store::embedded::JsonFileStore;
use crate::store::redis::RedisStore;

fn main() -> ExitCode {
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        return fail(&format!(".env: {e}"));
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(line) => return fail(&line),
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&config.log_level))
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(line) => fail(&line),
    }
}

fn fail(line: &str) -> ExitCode {
    eprintln!("streamcomp-server: {line}");
    ExitCode::from(2)
}

async fn serve(config: Config) -> Result<(), String> {
    metrics::install()?;
    std::fs::create_dir_all(&config.assets_dir).map_err(|e| {
        format!(
            "ASSETS_DIR={}: cannot create it: {e}",
            config.assets_dir.display()
        )
    })?;
    let store: Arc<dyn Store> = match &config.redis {
        None => Arc::new(
            JsonFileStore::open(&config.state_path, &config.stream_id)
                .map_err(|e| format!("STATE_PATH={}: {e}", config.state_path.display()))?,
        ),
        Some(redis) => Arc::new(
            RedisStore::open(redis, &config.stream_id, &config.state_path)
                .await
                .map_err(|e| e.to_string())?,
        ),
    };
    let bind = |port: u16, name: &'static str| async move {
        TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port)))
            .await
            .map_err(|e| format!("{name}={port}: cannot listen: {e}"))
    };
    let http = bind(config.port, "PORT").await?;
    let ws = bind(config.ws_port, "WS_PORT").await?;
    let prom = bind(config.metrics_port, "METRICS_PORT").await?;
    if config.api_token.is_none() {
        tracing::warn!("API_TOKEN is not set: the API is open to anyone who can reach it");
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let where_ = store.describe();
    let state = tokio::task::spawn_blocking(move || AppState::open(config, store, stop_rx))
        .await
        .map_err(|e| e.to_string())??;
    tracing::info!(
        port = state.config.port,
        ws_port = state.config.ws_port,
        metrics_port = state.config.metrics_port,
        resolution = format!("{}x{}", state.config.width, state.config.height),
        "streamcomp-server {} listening; state in {where_}",
        streamcomp_core::VERSION
    );
    tokio::spawn(metrics::feed(state.clone()));
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: closing connections, stopping the stream");
        let _ = stop_tx.send(true);
    });
    let until = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let servers = async {
        tokio::try_join!(
            axum::serve(http.tap_io(no_delay), app::app(state.clone()))
                .with_graceful_shutdown(until(state.shutdown.clone())),
            axum::serve(ws.tap_io(no_delay), app::ws_app(state.clone()))
                .with_graceful_shutdown(until(state.shutdown.clone())),
            axum::serve(prom.tap_io(no_delay), app::metrics_app())
                .with_graceful_shutdown(until(state.shutdown.clone())),
        )
    };
    let mut stopping = state.shutdown.clone();
    tokio::select! {
        r = servers => r.map(|_| ()).map_err(|e| format!("server: {e}"))?,
        // Connections get a few seconds to finish after the signal, then we go anyway.
        _ = async {
            let _ = stopping.wait_for(|s| *s).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        } => tracing::warn!("connections still open after 5 s; closing them"),
    }
    let s = state.clone();
    tokio::task::spawn_blocking(move || s.shutdown_stream())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

/// Turns Nagle's algorithm off on an accepted connection. With it on, a small write that
/// follows another (an ack behind a broadcast on a WebSocket, a response on a keep-alive
/// connection) waits for the peer's delayed ACK, up to 40 ms: measured under the load run, the
/// WebSocket ack's median was 43 ms with it, a few ms without.
fn no_delay(tcp: &mut TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!("cannot set TCP_NODELAY on a connection: {e}");
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
