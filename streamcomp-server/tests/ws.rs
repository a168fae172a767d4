//! The WebSocket against the real binary: events for every change, commands with acks and
//! errors carrying the `request_id`, the token, and both ports.

mod common;

use std::time::Duration;

use common::Server;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_json(ws: &mut Ws, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a message within 10 s")
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

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_commands_and_acks() {
    let s = Server::start(&[("API_TOKEN", "tk")]);
    // No token: refused with 401.
    let err = connect_async(format!("ws://127.0.0.1:{}/ws", s.port))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    let (mut a, _) = connect_async(format!("ws://127.0.0.1:{}/ws?token=tk", s.port))
        .await
        .unwrap();
    let (mut b, _) = connect_async(format!("ws://127.0.0.1:{}/?token=tk", s.ws_port))
        .await
        .unwrap();
    // An HTTP change reaches both clients, with the layer and its bounds.
    let port = s.port;
    tokio::task::spawn_blocking(move || {
        common::raw(
            port,
            "POST",
            "/stream/layers",
            &["Authorization: Bearer tk"],
            br#"{"id":"r","type":"rect","width":10,"height":10}"#,
        )
        .unwrap()
    })
    .await
    .unwrap();
    for ws in [&mut a, &mut b] {
        let m = next_json(ws, |v| v["type"] == "layerUpdate").await;
        assert_eq!(m["action"], "created");
        assert_eq!(m["layer"]["id"], "r");
        assert_eq!(m["layer"]["bounds"]["width"], 10.0);
    }
    // Commands: create, update, delete, each acked with its request_id; others see events.
    send(
        &mut a,
        json!({"type": "layerUpdate", "action": "create", "request_id": "1",
        "layer": {"id": "t", "type": "text", "text": "hi"}}),
    )
    .await;
    let ack = next_json(&mut a, |v| v["type"] == "ack").await;
    assert_eq!(ack["request_id"], "1");
    assert!(ack["layer"]["bounds"]["width"].as_f64().unwrap() > 0.0);
    assert_eq!(
        next_json(&mut b, |v| v["type"] == "layerUpdate").await["layer"]["id"],
        "t"
    );
    send(
        &mut b,
        json!({"type": "layerUpdate", "action": "update", "id": "t", "request_id": 2,
        "layer": {"text": "hello"}}),
    )
    .await;
    let ack = next_json(&mut b, |v| v["type"] == "ack").await;
    assert_eq!(
        (ack["request_id"].clone(), ack["layer"]["text"].clone()),
        (json!(2), json!("hello"))
    );
    let ev = next_json(&mut a, |v| v["action"] == "updated").await;
    assert_eq!(
        (ev["action"].clone(), ev["layer"]["text"].clone()),
        (json!("updated"), json!("hello"))
    );
    send(
        &mut a,
        json!({"type": "layerUpdate", "action": "delete", "id": "t", "request_id": "3"}),
    )
    .await;
    assert_eq!(
        next_json(&mut a, |v| v["type"] == "ack").await["request_id"],
        "3"
    );
    let ev = next_json(&mut b, |v| v["action"] == "deleted").await;
    assert_eq!(
        (ev["action"].clone(), ev["id"].clone()),
        (json!("deleted"), json!("t"))
    );
    // Errors carry the request_id, the status and the path.
    send(
        &mut a,
        json!({"type": "layerUpdate", "action": "update", "id": "r", "request_id": "4",
        "layer": {"opacity": 9}}),
    )
    .await;
    let e = next_json(&mut a, |v| v["type"] == "error").await;
    assert_eq!(
        (
            e["request_id"].clone(),
            e["status"].clone(),
            e["path"].clone()
        ),
        (json!("4"), json!(422), json!("opacity"))
    );
    send(
        &mut a,
        json!({"type": "layerUpdate", "action": "delete", "id": "ghost", "request_id": "5"}),
    )
    .await;
    assert_eq!(
        next_json(&mut a, |v| v["type"] == "error").await["status"],
        404
    );
    send(
        &mut a,
        json!({"type": "layerUpdate", "action": "create", "request_id": "6",
        "layer": {"id": "r", "type": "rect", "width": 1, "height": 1}}),
    )
    .await;
    assert_eq!(
        next_json(&mut a, |v| v["type"] == "error").await["status"],
        409
    );
    a.send(Message::text("{not json")).await.unwrap();
    let e = next_json(&mut a, |v| v["type"] == "error").await;
    assert_eq!(
        (e["status"].clone(), e["request_id"].clone()),
        (json!(400), Value::Null)
    );
    send(&mut a, json!({"type": "dance", "request_id": "7"})).await;
    assert_eq!(
        next_json(&mut a, |v| v["type"] == "error").await["path"],
        "type"
    );
    // Stream events: start and stop (to a file given by STREAM_URL? none here: refused).
    send(
        &mut b,
        json!({"type": "layerUpdate", "action": "nope", "request_id": "8"}),
    )
    .await;
    assert_eq!(
        next_json(&mut b, |v| v["type"] == "error").await["path"],
        "action"
    );
    // The connection gauge counts both clients.
    let port = s.metrics_port;
    let m = tokio::task::spawn_blocking(move || {
        common::raw(port, "GET", "/metrics", &[], b"").unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8(m.body).unwrap();
    assert_eq!(
        common::metric(&text, "streamcomp_ws_connections"),
        Some(2.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_events_reach_clients() {
    let s = Server::start(&[("STREAM_URL", "out.mp4")]);
    let (mut a, _) = connect_async(format!("ws://127.0.0.1:{}/ws", s.ws_port))
        .await
        .unwrap();
    let port = s.port;
    let start = tokio::task::spawn_blocking(move || {
        common::raw(
            port,
            "POST",
            "/stream/control",
            &[],
            br#"{"action":"start"}"#,
        )
        .unwrap()
    });
    let ev = next_json(&mut a, |v| {
        v["type"] == "streamEvent" && v["state"] == "started"
    })
    .await;
    assert_eq!(ev["outputs"], json!(["out.mp4"]));
    assert_eq!(start.await.unwrap().status, 200);
    let port = s.port;
    tokio::task::spawn_blocking(move || {
        common::raw(
            port,
            "POST",
            "/stream/control",
            &[],
            br#"{"action":"stop"}"#,
        )
        .unwrap()
    });
    next_json(&mut a, |v| {
        v["type"] == "streamEvent" && v["state"] == "stopped"
    })
    .await;
}

/// A client that never reads is dropped once its socket stops taking data (the server's memory
/// does not hold its backlog), while a client that reads keeps getting every event, events
/// sent in batches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_is_dropped_and_the_others_go_on() {
    let s = Server::start(&[]);
    let url = format!("ws://127.0.0.1:{}/ws", s.ws_port);
    let (slow, _) = connect_async(&url).await.unwrap();
    let (mut fast, _) = connect_async(&url).await.unwrap();
    let port = s.port;
    let http = move |method: &'static str, path: &'static str, body: Vec<u8>| {
        tokio::task::spawn_blocking(move || common::raw(port, method, path, &[], &body).unwrap())
    };
    let gauge = move || {
        let m = common::raw(port, "GET", "/metrics", &[], b"").unwrap();
        common::metric(
            &String::from_utf8_lossy(&m.body),
            "streamcomp_ws_connections",
        )
    };
    // The server counts a connection once its upgrade task runs: wait for both.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while gauge() != Some(2.0) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(gauge(), Some(2.0));
    let text = "x".repeat(4000);
    let created = http(
        "POST",
        "/stream/layers",
        json!({"id": "big", "type": "text", "text": text, "width": 600})
            .to_string()
            .into_bytes(),
    );
    assert_eq!(created.await.unwrap().status, 201);
    next_json(&mut fast, |v| v["action"] == "created").await;
    // 60 batches of 100 updates of a 4 kB layer: about 25 MB of events for each client, more
    // than loopback socket buffers hold. The reader takes each batch before the next one.
    let mut read = 0usize;
    for round in 0..60 {
        let ops: Vec<Value> = (0..100)
            .map(|i| json!({"op": "update", "id": "big", "layer": {"x": round * 100 + i}}))
            .collect();
        let r = http(
            "POST",
            "/stream/layers/batch",
            json!({ "ops": ops }).to_string().into_bytes(),
        );
        assert_eq!(r.await.unwrap().status, 200);
        for _ in 0..100 {
            let m = next_json(&mut fast, |v| {
                v["type"] == "layerUpdate" || v["type"] == "error"
            })
            .await;
            assert_eq!(m["type"], "layerUpdate", "the reading client stays: {m}");
            read += 1;
        }
    }
    assert_eq!(read, 6000);
    // The silent client's sends stall and it is dropped (5 s send timeout, or it fell behind).
    let dropped =
        tokio::task::spawn_blocking(move || common::eventually(20, || gauge() == Some(1.0)));
    assert!(
        dropped.await.unwrap(),
        "the client that does not read is still connected"
    );
    // The reading client still gets events.
    let r = http("DELETE", "/stream/layers/big", Vec::new());
    assert_eq!(r.await.unwrap().status, 200);
    let m = next_json(&mut fast, |v| v["action"] == "deleted").await;
    assert_eq!(m["id"], "big");
    drop(slow);
}
