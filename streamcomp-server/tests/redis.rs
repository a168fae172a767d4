//! The Redis store against a real `redis-server` (started here on a free loopback port, no
//! persistence, in a temporary folder) and the real server binary: servers of one stream see
//! each other's changes (HTTP and WebSocket), other streams stay apart, layers come back from
//! Redis on a fresh server, an outside tool's write is applied, Redis stopped under a live
//! stream (the stream goes on, changes are acknowledged, the state catches up when Redis is
//! back), Redis unreachable at start-up, and `REDIS_PASSWORD` (never shown).
//!
//! `redis-server` and `redis-cli` must be installed (`apt-get install redis-server`;
//! scripts/test.sh installs it).

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, eventually, free_port, metric};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

/// How an outside tool writes a stream's layers (the README shows the same).
const TOOL_SCRIPT: &str = "local v = redis.call('HINCRBY', KEYS[1], 'version', 1) \
    redis.call('HSET', KEYS[1], 'layers', ARGV[1]) \
    redis.call('PUBLISH', KEYS[2], '{\"version\":' .. v .. '}') return v";

/// A `redis-server` of our own, killed on drop.
struct Redis {
    child: Option<Child>,
    port: u16,
    password: Option<String>,
    dir: tempfile::TempDir,
}

impl Redis {
    fn start(password: Option<&str>) -> Redis {
        let mut r = Redis {
            child: None,
            port: free_port(),
            password: password.map(String::from),
            dir: tempfile::tempdir().unwrap(),
        };
        r.spawn();
        r
    }

    /// Starts it again on the same port (empty: nothing is persisted).
    fn spawn(&mut self) {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(pw) = &self.password {
            cmd.args(["--requirepass", pw]);
        }
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot run redis-server ({e}): install it (`apt-get install redis-server`; scripts/test.sh does)"
            )
        });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.cli(&["PING"]) == "PONG" {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not answer PING within 10 s");
    }

    /// Kills it at once, as a crash or a lost network would.
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// One `redis-cli` command; its output, trimmed.
    fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("redis-cli");
        cmd.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        if let Some(pw) = &self.password {
            cmd.args(["-a", pw, "--no-auth-warning"]);
        }
        let out = cmd.args(args).output().unwrap_or_else(|e| {
            panic!(
                "cannot run redis-cli ({e}): install it (`apt-get install redis-server`; scripts/test.sh does)"
            )
        });
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The layer ids stored for a stream.
    fn stored_ids(&self, stream: &str) -> Vec<String> {
        let text = self.cli(&["HGET", &format!("streamcomp:{stream}:state"), "layers"]);
        let layers: Value = serde_json::from_str(&text).unwrap_or(json!([]));
        ids_of(&layers)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn rect(id: &str, x: i64) -> Value {
    json!({"id": id, "type": "rect", "x": x, "y": 10, "width": 40, "height": 20, "color": "#ff0000"})
}

fn ids_of(layers: &Value) -> Vec<String> {
    layers
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| l["id"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn ids(s: &Server) -> Vec<String> {
    let r = s.get("/stream/layers");
    assert_eq!(r.status, 200);
    ids_of(&r.json())
}

/// The layers without `bounds` (the stored documents).
fn docs(s: &Server) -> Value {
    let mut v = s.get("/stream/layers").json();
    for l in v.as_array_mut().unwrap() {
        l.as_object_mut().unwrap().remove("bounds");
    }
    v
}

fn store_status(s: &Server) -> Value {
    s.get("/stream/status").json()["store"].clone()
}

fn frames(s: &Server, which: &str) -> u64 {
    s.get("/stream/status").json()["frames"][which]
        .as_u64()
        .unwrap()
}

/// Polls `f` for up to `secs`, returning how long it took.
fn within(secs: u64, what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    assert!(eventually(secs, &mut f), "{what}: not within {secs} s");
    start.elapsed()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next WebSocket message satisfying `want`, within 5 s.
async fn next_json(ws: &mut Ws, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a WebSocket message within 5 s")
            .expect("open")
            .expect("no error");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if want(&v) {
                return v;
            }
        }
    }
}

#[test]
fn servers_of_one_stream_share_layers_and_other_streams_stay_apart() {
    let redis = Redis::start(None);
    let url = redis.url();
    let a = Server::start(&[("REDIS_URL", &url), ("STREAM_ID", "main")]);
    let b = Server::start(&[("REDIS_URL", &url), ("STREAM_ID", "main")]);
    let other = Server::start(&[("REDIS_URL", &url), ("STREAM_ID", "other")]);
    let st = store_status(&b);
    assert_eq!(st["kind"], "redis");
    assert_eq!(st["connected"], true, "{st}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (mut ws, _) = rt
        .block_on(connect_async(format!("ws://127.0.0.1:{}/ws", b.ws_port)))
        .unwrap();

    // Created on A: on B's API and WebSocket.
    assert_eq!(a.json("POST", "/stream/layers", &rect("r1", 5)).status, 201);
    let t = within(3, "A's layer on B", || ids(&b) == ["r1"]);
    eprintln!("a change on A visible on B after {t:?}");
    let ev = rt.block_on(next_json(&mut ws, |v| v["type"] == "layerUpdate"));
    assert_eq!(ev["action"], "created", "{ev}");
    assert_eq!(ev["layer"]["id"], "r1");
    assert_eq!(
        ev["layer"]["bounds"],
        json!({"x": 5.0, "y": 10.0, "width": 40.0, "height": 20.0})
    );
    assert_eq!(redis.stored_ids("main"), ["r1"]);

    // Updated on B (a merge patch removing a field): on A, exactly.
    let r = b.json(
        "PUT",
        "/stream/layers/r1",
        &json!({"x": 77, "color": null, "opacity": 0.5}),
    );
    assert_eq!(r.status, 200);
    within(3, "B's update on A", || docs(&a) == docs(&b));
    let on_a = a.get("/stream/layers/r1").json();
    assert_eq!(on_a["x"], 77);
    assert!(on_a.get("color").is_none(), "{on_a}");
    let ev = rt.block_on(next_json(&mut ws, |v| v["type"] == "layerUpdate"));
    assert_eq!(ev["action"], "updated", "B's own change: {ev}");

    // A batch on A: all on B, same order; a delete on A: gone on B, with a WebSocket event.
    let batch = json!({"ops": [
        {"op": "create", "layer": rect("r2", 1)},
        {"op": "create", "layer": {"id": "t", "type": "text", "text": "hi", "font_size": 12}},
        {"op": "update", "id": "r1", "layer": {"y": 3}},
    ]});
    assert_eq!(a.json("POST", "/stream/layers/batch", &batch).status, 200);
    within(3, "A's batch on B", || docs(&a) == docs(&b));
    assert_eq!(ids(&b), ["r1", "r2", "t"]);
    assert_eq!(a.req("DELETE", "/stream/layers/r2", b"").status, 200);
    within(3, "A's delete on B", || ids(&b) == ["r1", "t"]);
    let ev = rt.block_on(next_json(&mut ws, |v| {
        v["type"] == "layerUpdate" && v["action"] == "deleted"
    }));
    assert_eq!(ev["id"], "r2");

    // Another stream on the same Redis sees none of it, and its changes stay its own.
    assert_eq!(ids(&other), Vec::<String>::new());
    assert_eq!(
        other.json("POST", "/stream/layers", &rect("o", 0)).status,
        201
    );
    assert_eq!(redis.stored_ids("other"), ["o"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(ids(&a), ["r1", "t"]);
    assert_eq!(ids(&b), ["r1", "t"]);

    // An outside tool, as the README shows: one EVAL bumps the version, writes the layers and
    // publishes the version.
    let tool_layers = json!([rect("r1", 9), rect("tool", 100)]).to_string();
    let v = redis.cli(&[
        "EVAL",
        TOOL_SCRIPT,
        "2",
        "streamcomp:main:state",
        "streamcomp:main:changes",
        &tool_layers,
    ]);
    assert!(v.parse::<u64>().is_ok(), "{v}");
    within(3, "the tool's write on A", || ids(&a) == ["r1", "tool"]);
    within(3, "the tool's write on B", || ids(&b) == ["r1", "tool"]);
    assert_eq!(a.get("/stream/layers/r1").json()["x"], 9);

    // A fresh server (new folder, nothing local) gets the layers from Redis; so does A
    // restarted.
    let c = Server::start(&[("REDIS_URL", &url), ("STREAM_ID", "main")]);
    assert_eq!(docs(&c), docs(&a));
    let mut a = a;
    a.restart();
    assert_eq!(ids(&a), ["r1", "tool"]);

    // Store latency, from A's metrics.
    let m = a.get("/metrics");
    let text = String::from_utf8_lossy(&m.body).to_string();
    let m = b.get("/metrics");
    let text_b = String::from_utf8_lossy(&m.body).to_string();
    let sum = metric(
        &text_b,
        "streamcomp_store_operation_seconds_sum{operation=\"redis_write\"}",
    );
    let count = metric(
        &text_b,
        "streamcomp_store_operation_seconds_count{operation=\"redis_write\"}",
    );
    assert!(count.unwrap_or(0.0) >= 1.0, "B wrote to Redis: {text_b}");
    eprintln!(
        "B: redis_write mean {:.2} ms over {} writes; save mean {:.2} ms",
        1000.0 * sum.unwrap() / count.unwrap(),
        count.unwrap(),
        1000.0
            * metric(
                &text_b,
                "streamcomp_store_operation_seconds_sum{operation=\"save\"}"
            )
            .unwrap()
            / metric(
                &text_b,
                "streamcomp_store_operation_seconds_count{operation=\"save\"}"
            )
            .unwrap()
    );
    assert!(
        text.contains("streamcomp_store_operation_seconds_count{operation=\"redis_read\"}"),
        "{text}"
    );
}

#[test]
fn redis_stopped_under_a_live_stream_then_back() {
    let mut redis = Redis::start(None);
    let url = redis.url();
    let a = Server::start_logged(&[
        ("REDIS_URL", &url),
        ("STREAM_ID", "live"),
        ("STREAM_URL", "out.flv"),
        ("LOG_LEVEL", "info"),
    ]);
    let b = Server::start(&[("REDIS_URL", &url), ("STREAM_ID", "live")]);
    assert_eq!(
        a.json("POST", "/stream/layers", &rect("before", 0)).status,
        201
    );
    let r = a.json("POST", "/stream/control", &json!({"action": "start"}));
    assert_eq!(r.status, 200, "{:?}", r.json());
    within(10, "frames encoded", || frames(&a, "encoded") > 5);
    within(3, "the layer on B", || ids(&b) == ["before"]);

    redis.stop();
    within(5, "A notices Redis is gone", || {
        store_status(&a)["connected"] == false
    });
    // The stream goes on; changes are acknowledged quickly and visible.
    let encoded = frames(&a, "encoded");
    let t = Instant::now();
    assert_eq!(
        a.json("POST", "/stream/layers", &rect("during", 50)).status,
        201
    );
    assert_eq!(
        a.json("PUT", "/stream/layers/before", &json!({"x": 33}))
            .status,
        200
    );
    let took = t.elapsed();
    assert!(took < Duration::from_millis(1500), "changes took {took:?}");
    eprintln!("two changes with Redis down acknowledged in {took:?}");
    assert_eq!(ids(&a), ["before", "during"]);
    let st = a.get("/stream/status").json();
    assert_eq!(st["state"], "live", "{st}");
    assert_eq!(st["store"]["pending"], true, "{st}");
    within(5, "frames still encoded while Redis is down", || {
        frames(&a, "encoded") > encoded + 10
    });
    assert_eq!(ids(&b), ["before"], "B keeps its layers");
    assert_eq!(b.get("/healthz").status, 200);
    // B changes another layer meanwhile.
    within(5, "B notices Redis is gone", || {
        store_status(&b)["connected"] == false
    });
    assert_eq!(
        b.json("POST", "/stream/layers", &rect("b-during", 70))
            .status,
        201
    );

    // Redis back, empty (nothing persisted): both write their changes, merged.
    redis.spawn();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let t = within(6, "both servers' changes back in Redis", || {
        sorted(redis.stored_ids("live")) == ["b-during", "before", "during"]
    });
    eprintln!("state back in Redis {t:?} after it restarted");
    within(3, "A and B caught up", || {
        let da = docs(&a);
        da == docs(&b) && ids_of(&da) == redis.stored_ids("live")
    });
    assert_eq!(b.get("/stream/layers/before").json()["x"], 33);
    let st = store_status(&a);
    assert_eq!(
        (st["connected"].clone(), st["pending"].clone()),
        (json!(true), json!(false))
    );
    within(3, "B connected", || store_status(&b)["connected"] == true);
    // And it works as before: a change on B reaches A.
    assert_eq!(
        b.json("POST", "/stream/layers", &rect("after", 9)).status,
        201
    );
    within(3, "B's change on A", || {
        ids(&a).contains(&"after".to_string())
    });
    within(3, "A and B agree", || docs(&a) == docs(&b));
    assert_eq!(a.get("/stream/status").json()["state"], "live");
    // The loss and the return are logged once each.
    within(1, "logged", || a.log().contains("is back; state caught up"));
    let log = a.log();
    assert_eq!(log.matches("lost Redis").count(), 1, "{log}");
    assert_eq!(log.matches("is back").count(), 1, "{log}");
}

#[test]
fn redis_unreachable_at_start_up_then_caught_up() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let t = Instant::now();
    let a = Server::start_logged(&[
        ("REDIS_URL", &url),
        ("STREAM_ID", "s"),
        ("LOG_LEVEL", "info"),
    ]);
    eprintln!("started with Redis unreachable in {:?}", t.elapsed());
    let st = store_status(&a);
    assert_eq!(
        (st["kind"].clone(), st["connected"].clone()),
        (json!("redis"), json!(false))
    );
    assert!(a.log().contains("unreachable"), "{}", a.log());
    assert_eq!(a.json("POST", "/stream/layers", &rect("x", 1)).status, 201);
    assert_eq!(ids(&a), ["x"]);
    // Redis comes: the pending change is written.
    let mut redis = Redis {
        child: None,
        port,
        password: None,
        dir: tempfile::tempdir().unwrap(),
    };
    redis.spawn();
    within(6, "the change in Redis", || redis.stored_ids("s") == ["x"]);
    within(3, "connected", || store_status(&a)["connected"] == true);
    within(1, "logged", || a.log().contains("is back; state caught up"));
    let log = a.log();
    assert_eq!(log.matches("unreachable").count(), 1, "one warning: {log}");
    assert_eq!(log.matches("is back").count(), 1, "{log}");
}

#[test]
fn concurrent_changes_on_two_servers_converge() {
    let redis = Redis::start(None);
    let url = redis.url();
    let a = Server::start(&[("REDIS_URL", &url), ("STREAM_ID", "c")]);
    let b = Server::start(&[("REDIS_URL", &url), ("STREAM_ID", "c")]);
    // Both change the stream as fast as they answer: the changes merge layer by layer (none
    // is lost), and every server ends on the same list as Redis.
    std::thread::scope(|scope| {
        for (s, name) in [(&a, "a"), (&b, "b")] {
            scope.spawn(move || {
                for i in 0..15 {
                    let id = format!("{name}{i}");
                    assert_eq!(s.json("POST", "/stream/layers", &rect(&id, i)).status, 201);
                    let r = s.json("PUT", &format!("/stream/layers/{id}"), &json!({"y": i}));
                    assert_eq!(r.status, 200);
                }
            });
        }
    });
    within(5, "both servers and Redis agree", || {
        let (da, db) = (docs(&a), docs(&b));
        da == db && redis.stored_ids("c") == ids_of(&da)
    });
    let layers = docs(&a);
    assert_eq!(layers.as_array().unwrap().len(), 30, "{layers}");
    for name in ["a", "b"] {
        for i in 0..15 {
            let l = a.get(&format!("/stream/layers/{name}{i}")).json();
            assert_eq!(
                (l["x"].clone(), l["y"].clone()),
                (json!(i), json!(i)),
                "{l}"
            );
        }
    }
    let text = String::from_utf8_lossy(&a.get("/metrics").body).to_string();
    let mean = |op: &str| {
        let m = |k: &str| {
            metric(
                &text,
                &format!("streamcomp_store_operation_seconds_{k}{{operation=\"{op}\"}}"),
            )
            .unwrap_or(0.0)
        };
        (1000.0 * m("sum") / m("count"), m("count"))
    };
    eprintln!(
        "A under contention: redis_write {:?}, save {:?} (mean ms, count)",
        mean("redis_write"),
        mean("save")
    );
    let (sa, sb) = (store_status(&a), store_status(&b));
    assert_eq!(sa["version"], sb["version"], "{sa} {sb}");
    assert_eq!(sa["pending"], false);
}

/// Runs the binary expecting it to stop at start; returns (exit code, stderr).
fn refused(dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_streamcomp-server"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORT", free_port().to_string())
        .env("WS_PORT", free_port().to_string())
        .env("METRICS_PORT", free_port().to_string())
        .env("STATE_PATH", dir.join("state"))
        .env("ASSETS_DIR", dir.join("assets"))
        .env("STREAM_RESOLUTION", "320x180")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn password_is_used_and_never_shown() {
    let pw = "s3cret-Pw-42";
    let redis = Redis::start(Some(pw));
    let plain = redis.url();
    let with_pw = format!("redis://:{pw}@127.0.0.1:{}", redis.port);
    let key = "rtmp://127.0.0.1:1/live/STREAMKEY123";
    // REDIS_PASSWORD, and the password in the URL: both work.
    let a = Server::start_logged(&[
        ("REDIS_URL", &plain),
        ("REDIS_PASSWORD", pw),
        ("STREAM_ID", "p"),
        ("STREAM_URL", key),
        ("LOG_LEVEL", "debug"),
    ]);
    let b = Server::start_logged(&[
        ("REDIS_URL", &with_pw),
        ("STREAM_ID", "p"),
        ("LOG_LEVEL", "debug"),
    ]);
    assert_eq!(store_status(&a)["connected"], true);
    assert_eq!(a.json("POST", "/stream/layers", &rect("k", 1)).status, 201);
    within(3, "the layer on B", || ids(&b) == ["k"]);
    assert_eq!(redis.stored_ids("p"), ["k"]);
    // Neither the password nor the stream key shows in status or logs.
    for s in [&a, &b] {
        let status = String::from_utf8_lossy(&s.get("/stream/status").body).to_string();
        assert!(
            !status.contains(pw) && !status.contains("STREAMKEY123"),
            "{status}"
        );
        let log = s.log();
        assert!(!log.is_empty());
        assert!(!log.contains(pw) && !log.contains("STREAMKEY123"), "{log}");
    }
    assert!(b.log().contains(":****@127.0.0.1"), "{}", b.log());

    // No or a wrong password: the server stops at start with one line, naming what to check.
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = refused(dir.path(), &[("REDIS_URL", &plain)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("REDIS_PASSWORD"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let (code, err) = refused(
        dir.path(),
        &[("REDIS_URL", &plain), ("REDIS_PASSWORD", "wrong-Pw-99")],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("refused"), "{err}");
    assert!(!err.contains("wrong-Pw-99"), "{err}");
    // TLS is not built in: one line, no password.
    let (code, err) = refused(
        dir.path(),
        &[("REDIS_URL", &format!("rediss://:{pw}@127.0.0.1:1"))],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("REDIS_URL=rediss://:****@") && !err.contains(pw),
        "{err}"
    );
}

/// The red layer in `s`'s preview (320x180): the left edge of its red pixels and the strongest
/// red seen, or `None` when none shows.
fn red_in_preview(s: &Server) -> Option<(u32, u8)> {
    let r = s.get("/stream/preview.png");
    assert_eq!(r.status, 200);
    let dec = png::Decoder::new(std::io::Cursor::new(r.body));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let mut found: Option<(u32, u8)> = None;
    for y in 0..info.height {
        for x in 0..info.width {
            let i = ((y * info.width + x) as usize) * ch;
            let (red, green) = (buf[i], buf[i + 1]);
            if red > 40 && green < 20 {
                found = Some(match found {
                    Some((left, max)) => (left.min(x), max.max(red)),
                    None => (x, red),
                });
            }
        }
    }
    found
}

#[test]
fn transitions_and_fades_reach_the_other_servers_as_motion() {
    let redis = Redis::start(None);
    let url = redis.url();
    let a = Server::start(&[("REDIS_URL", &url), ("STREAM_ID", "motion")]);
    let b = Server::start(&[("REDIS_URL", &url), ("STREAM_ID", "motion")]);
    let layer = json!({"id": "m", "type": "rect", "x": 0, "y": 40, "width": 40,
                       "height": 40, "color": "#ff0000"});
    assert_eq!(a.json("POST", "/stream/layers", &layer).status, 201);
    within(3, "the layer on B", || {
        red_in_preview(&b).is_some_and(|(x, _)| x == 0)
    });

    // A 2-second move on A: B's preview shows it under way.
    let r = a.json(
        "PUT",
        "/stream/layers/m",
        &json!({"x": 200, "transition": {"duration": 2}}),
    );
    assert_eq!(r.status, 200);
    let mut seen = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(3500) {
        if let Some((x, _)) = red_in_preview(&b) {
            seen.push(x);
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    let between = seen.iter().filter(|&&x| x > 10 && x < 190).count();
    assert!(
        between >= 3,
        "B showed the move as a jump; left edges seen: {seen:?}"
    );
    assert_eq!(
        seen.last(),
        Some(&200),
        "B ends where A's move ends: {seen:?}"
    );

    // A 2-second fade-out on A (a batch delete): B shows the layer fading, then gone.
    let del = json!({"ops": [{"op": "delete", "id": "m", "fade": 2}]});
    assert_eq!(a.json("POST", "/stream/layers/batch", &del).status, 200);
    let mut reds = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(3500) {
        reds.push(red_in_preview(&b).map_or(0, |(_, red)| red));
        std::thread::sleep(Duration::from_millis(40));
    }
    let fading = reds.iter().filter(|&&r| r > 40 && r < 230).count();
    assert!(fading >= 3, "B showed no fade: strongest red seen {reds:?}");
    assert_eq!(reds.last(), Some(&0), "gone on B in the end: {reds:?}");
    assert_eq!(ids(&b), Vec::<String>::new());
}
