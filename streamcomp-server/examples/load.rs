//! A load run against a running `streamcomp-server`: many clients changing layers at a fixed
//! total rate, half over HTTP (`PUT /stream/layers/{id}`) and half over the WebSocket
//! (`layerUpdate` commands answered by an `ack`), while the server streams. Prints, every 10 s
//! and at the end, the request latencies (p50/p99/max), errors, the server's dropped frames and
//! its resident memory (from `/metrics`).
//!
//! ```text
//! cargo run --release -p streamcomp-server --example load -- \
//!     --port 4200 --ws-port 4201 --token secret --clients 50 --rate 200 --seconds 600
//! ```
//!
//! Each client owns one text layer (`load-N`, created first) and moves it and changes its text
//! at `rate / clients` updates a second, the clients' clocks spread evenly over a period (or all
//! at once with `--in-phase`). The last line is a JSON summary. `scripts/load-run.sh` sets up
//! nginx-rtmp and a streaming server and runs this against them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

/// Command-line settings.
struct Opts {
    port: u16,
    ws_port: u16,
    token: Option<String>,
    clients: usize,
    rate: f64,
    seconds: u64,
    /// Every client ticks at the same instants (bursts of `clients` updates at once).
    in_phase: bool,
}

fn opts() -> Result<Opts, String> {
    let mut o = Opts {
        port: 4200,
        ws_port: 4201,
        token: None,
        clients: 50,
        rate: 200.0,
        seconds: 60,
        in_phase: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        let num = |s: String| s.parse::<f64>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--port" => o.port = num(val()?)? as u16,
            "--ws-port" => o.ws_port = num(val()?)? as u16,
            "--token" => o.token = Some(val()?),
            "--clients" => o.clients = (num(val()?)? as usize).max(2),
            "--rate" => o.rate = num(val()?)?,
            "--seconds" => o.seconds = num(val()?)? as u64,
            "--in-phase" => o.in_phase = true,
            "-h" | "--help" => {
                return Err("usage: load [--port 4200] [--ws-port 4201] [--token T] \
                            [--clients 50] [--rate 200] [--seconds 60] [--in-phase]"
                    .into());
            }
            other => return Err(format!("unknown argument {other}; see --help")),
        }
    }
    Ok(o)
}

/// Latencies (µs) and errors of one transport.
#[derive(Default)]
struct Recorded {
    micros: Vec<u64>,
    errors: u64,
}

impl Recorded {
    fn summary(&self) -> Value {
        let mut v = self.micros.clone();
        v.sort_unstable();
        let q = |p: f64| {
            if v.is_empty() {
                0.0
            } else {
                v[((v.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
            }
        };
        json!({"requests": v.len(), "errors": self.errors, "p50_ms": q(0.5), "p99_ms": q(0.99),
               "max_ms": q(1.0)})
    }
}

/// A keep-alive HTTP/1.1 connection.
struct Http {
    r: BufReader<TcpStream>,
    port: u16,
    token: Option<String>,
}

impl Http {
    async fn connect(port: u16, token: Option<String>) -> std::io::Result<Http> {
        let s = TcpStream::connect(("127.0.0.1", port)).await?;
        s.set_nodelay(true)?;
        Ok(Http {
            r: BufReader::new(s),
            port,
            token,
        })
    }

    /// Sends a request; returns the status and body.
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
    ) -> std::io::Result<(u16, String)> {
        let auth = self
            .token
            .as_ref()
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        );
        self.r.get_mut().write_all(req.as_bytes()).await?;
        let mut line = String::new();
        self.r.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut len = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut buf = vec![0; len];
        self.r.read_exact(&mut buf).await?;
        Ok((status, String::from_utf8_lossy(&buf).into_owned()))
    }
}

fn update(i: usize, n: u64) -> Value {
    json!({"x": 20 + (n * 37 % 600) as i64, "y": 20 + (i * 13 % 600) as i64,
           "text": format!("client {i} update {n}")})
}

/// Client `i`'s clock: `rate / clients` ticks a second, its phase offset by `i / clients` of a
/// period so that the clients together send at an even rate. With `--in-phase` every client
/// ticks at once: 50 clients at 200 updates/s send bursts of 50 every 250 ms (the worst case:
/// the last request of each burst waits for the 49 before it).
fn ticker(i: usize, o: &Opts) -> tokio::time::Interval {
    let every = Duration::from_secs_f64(o.clients as f64 / o.rate);
    let share = if o.in_phase {
        0.0
    } else {
        i as f64 / o.clients as f64
    };
    let phase = every.mul_f64(share);
    tokio::time::interval_at(tokio::time::Instant::now() + phase, every)
}

async fn http_client(i: usize, o: Arc<Opts>, stop: Instant, rec: Arc<Mutex<Recorded>>) {
    let Ok(mut h) = Http::connect(o.port, o.token.clone()).await else {
        rec.lock().await.errors += 1;
        return;
    };
    let mut tick = ticker(i, &o);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0u64;
    while Instant::now() < stop {
        tick.tick().await;
        n += 1;
        let body = update(i, n).to_string();
        let t0 = Instant::now();
        let r = h
            .call("PUT", &format!("/stream/layers/load-{i}"), &body)
            .await;
        let us = t0.elapsed().as_micros() as u64;
        let mut g = rec.lock().await;
        match r {
            Ok((200, _)) => g.micros.push(us),
            Ok((s, b)) => {
                g.errors += 1;
                eprintln!("http client {i}: {s} {b}");
            }
            Err(e) => {
                g.errors += 1;
                eprintln!("http client {i}: {e}");
                drop(g);
                match Http::connect(o.port, o.token.clone()).await {
                    Ok(c) => h = c,
                    Err(_) => return,
                }
            }
        }
    }
}

async fn ws_client(
    i: usize,
    o: Arc<Opts>,
    stop: Instant,
    rec: Arc<Mutex<Recorded>>,
    broadcasts: Arc<AtomicU64>,
) {
    let q = o
        .token
        .as_ref()
        .map(|t| format!("?token={t}"))
        .unwrap_or_default();
    let url = format!("ws://127.0.0.1:{}/{q}", o.ws_port);
    // Nagle off, as browsers do for WebSockets: a command is sent at once.
    let Ok((ws, _)) = tokio_tungstenite::connect_async_with_config(url, None, true).await else {
        rec.lock().await.errors += 1;
        return;
    };
    let (mut tx, mut rx) = ws.split();
    let pending: Arc<Mutex<std::collections::HashMap<String, Instant>>> = Arc::default();
    let reader = {
        let pending = Arc::clone(&pending);
        let rec = Arc::clone(&rec);
        tokio::spawn(async move {
            while let Some(Ok(m)) = rx.next().await {
                let Message::Text(t) = m else { continue };
                let Ok(v) = serde_json::from_str::<Value>(&t) else {
                    continue;
                };
                match v["type"].as_str() {
                    Some("ack") | Some("error") => {
                        let id = v["request_id"].as_str().unwrap_or_default().to_owned();
                        if let Some(t0) = pending.lock().await.remove(&id) {
                            let mut g = rec.lock().await;
                            if v["type"] == "ack" {
                                g.micros.push(t0.elapsed().as_micros() as u64);
                            } else {
                                g.errors += 1;
                                eprintln!("ws client {i}: {v}");
                            }
                        }
                    }
                    Some("layerUpdate") => {
                        broadcasts.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        })
    };
    let mut tick = ticker(i, &o);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0u64;
    while Instant::now() < stop {
        tick.tick().await;
        n += 1;
        let id = format!("{i}-{n}");
        let msg = json!({"type": "layerUpdate", "action": "update", "id": format!("load-{i}"),
                         "layer": update(i, n), "request_id": id});
        pending.lock().await.insert(id, Instant::now());
        if tx
            .send(Message::Text(msg.to_string().into()))
            .await
            .is_err()
        {
            rec.lock().await.errors += 1;
            eprintln!("ws client {i}: connection lost");
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let lost = pending.lock().await.len() as u64;
    rec.lock().await.errors += lost;
    reader.abort();
}

/// `(dropped frames, rendered frames, resident bytes)` from the server.
async fn server_stats(o: &Opts) -> Option<(u64, u64, f64)> {
    let mut h = Http::connect(o.port, o.token.clone()).await.ok()?;
    let (_, status) = h.call("GET", "/stream/status", "").await.ok()?;
    let status: Value = serde_json::from_str(&status).ok()?;
    let (_, metrics) = h.call("GET", "/metrics", "").await.ok()?;
    let rss = metrics
        .lines()
        .find(|l| l.starts_with("process_resident_memory_bytes "))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0.0);
    Some((
        status["frames"]["dropped"].as_u64()?,
        status["frames"]["rendered"].as_u64()?,
        rss,
    ))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let o = Arc::new(opts()?);
    let mut h = Http::connect(o.port, o.token.clone())
        .await
        .map_err(|e| format!("cannot reach 127.0.0.1:{}: {e}", o.port))?;
    for i in 0..o.clients {
        let _ = h
            .call("DELETE", &format!("/stream/layers/load-{i}"), "")
            .await;
        let layer = json!({"id": format!("load-{i}"), "type": "text", "text": format!("client {i}"),
                           "x": 20, "y": 20 + i * 13 % 600, "font_size": 20, "color": "#ffffff"});
        let (s, b) = h
            .call("POST", "/stream/layers", &layer.to_string())
            .await
            .map_err(|e| e.to_string())?;
        if s != 201 {
            return Err(format!("creating load-{i}: {s} {b}"));
        }
    }
    let (dropped0, rendered0, rss0) = server_stats(&o).await.unwrap_or_default();
    let start = Instant::now();
    let stop = start + Duration::from_secs(o.seconds);
    let http_rec = Arc::new(Mutex::new(Recorded::default()));
    let ws_rec = Arc::new(Mutex::new(Recorded::default()));
    let broadcasts = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..o.clients {
        if i % 2 == 0 {
            tasks.push(tokio::spawn(http_client(
                i,
                Arc::clone(&o),
                stop,
                Arc::clone(&http_rec),
            )));
        } else {
            tasks.push(tokio::spawn(ws_client(
                i,
                Arc::clone(&o),
                stop,
                Arc::clone(&ws_rec),
                Arc::clone(&broadcasts),
            )));
        }
    }
    let mut rss_max = rss0;
    let mut rss_samples = Vec::new();
    while Instant::now() < stop {
        tokio::time::sleep(Duration::from_secs(10).min(stop - Instant::now())).await;
        if let Some((d, r, rss)) = server_stats(&o).await {
            rss_max = rss_max.max(rss);
            rss_samples.push(rss);
            println!(
                "{:>4} s  http {}  ws {}  dropped {}  rendered {}  rss {:.1} MiB",
                start.elapsed().as_secs(),
                http_rec.lock().await.summary(),
                ws_rec.lock().await.summary(),
                d - dropped0,
                r - rendered0,
                rss / 1048576.0
            );
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    let (dropped, rendered, rss) = server_stats(&o).await.unwrap_or_default();
    let first_minute = rss_samples.iter().take(6).cloned().fold(0.0, f64::max);
    let summary = json!({
        "seconds": o.seconds, "clients": o.clients, "rate": o.rate,
        "http": http_rec.lock().await.summary(),
        "ws": ws_rec.lock().await.summary(),
        "ws_broadcasts_received": broadcasts.load(Ordering::Relaxed),
        "frames_rendered": rendered - rendered0,
        "frames_dropped": dropped - dropped0,
        "rss_mib": {"start": rss0 / 1048576.0, "after_first_minute": first_minute / 1048576.0,
                    "max": rss_max / 1048576.0, "end": rss / 1048576.0},
    });
    println!("{summary}");
    Ok(())
}
