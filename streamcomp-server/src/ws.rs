//! The WebSocket (`/ws` on `PORT`, and `WS_PORT`): every `layerUpdate` and `streamEvent` goes
//! to every client; clients send `layerUpdate` commands and get an `ack` or an `error` with
//! the same `request_id`.
//!
//! Memory stays bounded whatever clients do: events come from one broadcast ring (a client
//! that falls behind it is told and dropped), replies wait in a small per-client queue (a
//! client that sends faster than it reads is dropped), and a send that stalls for
//! [`SEND_TIMEOUT`] drops the client.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use streamcomp_core::media::MediaAction;
use tokio::sync::{broadcast, mpsc};

use crate::api::batch::change_from;
use crate::error::ApiError;
use crate::state::AppState;

/// How long one message may take to go out before the client is dropped as too slow.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Replies waiting for one client.
const REPLY_QUEUE: usize = 32;
/// Largest message accepted from a client.
const MAX_MESSAGE: usize = 1 << 20;

/// `GET /ws`: upgrades to a WebSocket.
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match ws {
        Ok(ws) => ws
            .max_message_size(MAX_MESSAGE)
            .on_upgrade(move |socket| serve(state, socket)),
        Err(e) => ApiError::malformed(format!("a WebSocket upgrade is expected here: {e}"))
            .into_response(),
    }
}

async fn serve(state: AppState, socket: WebSocket) {
    metrics::gauge!("streamcomp_ws_connections").increment(1.0);
    let (mut sink, mut incoming) = socket.split();
    let mut events = state.events.subscribe();
    let mut shutdown = state.shutdown.clone();
    let (reply_tx, mut replies) = mpsc::channel::<Value>(REPLY_QUEUE);
    let reader_state = state.clone();
    let reader = tokio::spawn(async move {
        while let Some(Ok(msg)) = incoming.next().await {
            let text = match msg {
                Message::Text(t) => t,
                Message::Close(_) => break,
                _ => continue,
            };
            let reply = command(&reader_state, text.as_str()).await;
            if reply_tx.try_send(reply).is_err() {
                break; // the client does not read its replies
            }
        }
    });
    loop {
        // Replies first: a client's ack never waits behind the broadcasts queued for it.
        let out: Value = tokio::select! {
            biased;
            r = replies.recv() => match r {
                Some(v) => v,
                None => break,
            },
            ev = events.recv() => match ev {
                Ok(m) => match send_events(&mut sink, &mut events, m).await {
                    Sent::All => continue,
                    Sent::Failed => break,
                    Sent::Lagged(n) => {
                        lagged(&mut sink, n).await;
                        break;
                    }
                },
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    lagged(&mut sink, n).await;
                    break;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = shutdown.changed() => break,
        };
        if !send(&mut sink, Message::text(out.to_string())).await {
            break;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    reader.abort();
    metrics::gauge!("streamcomp_ws_connections").decrement(1.0);
}

/// Events waiting for one client that go out in one write (and one flush).
const EVENT_BATCH: usize = 64;

/// How a batch of events went out.
enum Sent {
    All,
    /// The client fell this many events behind the ring (found while draining it).
    Lagged(u64),
    /// The socket failed or stalled past [`SEND_TIMEOUT`].
    Failed,
}

/// Sends `first` and the events already waiting behind it (up to [`EVENT_BATCH`]) with one
/// flush: under load a client gets many events a frame, and a write per event costs a system
/// call each.
async fn send_events(
    sink: &mut Sink,
    events: &mut broadcast::Receiver<Utf8Bytes>,
    first: Utf8Bytes,
) -> Sent {
    let mut lag = None;
    let batch = async {
        sink.feed(Message::Text(first)).await?;
        for _ in 1..EVENT_BATCH {
            match events.try_recv() {
                Ok(m) => sink.feed(Message::Text(m)).await?,
                Err(broadcast::error::TryRecvError::Lagged(n)) => {
                    lag = Some(n);
                    break;
                }
                Err(_) => break,
            }
        }
        sink.flush().await
    };
    let sent = tokio::time::timeout(SEND_TIMEOUT, batch).await;
    match (sent, lag) {
        (Ok(Ok(())), None) => Sent::All,
        (Ok(Ok(())), Some(n)) => Sent::Lagged(n),
        _ => Sent::Failed,
    }
}

/// Tells a client that fell behind the event ring why it is disconnected.
async fn lagged(sink: &mut Sink, n: u64) {
    let msg = format!("this client fell {n} messages behind and is disconnected");
    let _ = send(
        sink,
        Message::text(json!({"type": "error", "message": msg}).to_string()),
    )
    .await;
}

/// The sending half of a client's socket.
type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

async fn send(sink: &mut Sink, msg: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sink.send(msg)).await,
        Ok(Ok(()))
    )
}

/// Runs one client command; the reply is an `ack` or an `error`, with the `request_id`.
async fn command(state: &AppState, text: &str) -> Value {
    let parsed: Result<Value, _> = serde_json::from_str(text);
    let request_id = parsed
        .as_ref()
        .ok()
        .and_then(|v| v.get("request_id").cloned())
        .unwrap_or(Value::Null);
    let result = match parsed {
        Ok(v) => run(state, v).await,
        Err(e) => Err(ApiError::malformed(format!("not valid JSON: {e}"))),
    };
    match result {
        Ok((action, layer)) => {
            json!({"type": "ack", "request_id": request_id, "action": action, "layer": layer})
        }
        Err(e) => json!({"type": "error", "request_id": request_id, "status": e.status.as_u16(),
                         "code": e.code, "message": e.message, "path": e.path}),
    }
}

async fn run(state: &AppState, v: Value) -> Result<(String, Value), ApiError> {
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::malformed("a command must be a JSON object"))?;
    if obj.get("type").and_then(Value::as_str) == Some("media") {
        return media(state, obj).await;
    }
    if let Some(k) = obj.keys().find(|k| {
        ![
            "type",
            "action",
            "id",
            "layer",
            "request_id",
            "transition",
            "fade",
        ]
        .contains(&k.as_str())
    }) {
        return Err(ApiError::invalid(k.clone(), "unknown field"));
    }
    if obj.get("type").and_then(Value::as_str) != Some("layerUpdate") {
        return Err(ApiError::invalid(
            "type",
            "must be \"layerUpdate\" or \"media\"",
        ));
    }
    let action = obj
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let change = change_from(&action, obj, "", "action")?;
    let id = obj.get("id").cloned();
    let layer = state
        .run(move |s| s.apply(vec![change]))
        .await?
        .pop()
        .flatten()
        .unwrap_or_else(|| json!({"id": id}));
    Ok((action, layer))
}

/// `{"type": "media", "id": "clip", "action": "seek", "t": 5.0}`: a media action on a video
/// layer (the fields besides `type`, `id` and `request_id` are the action, as in
/// `POST /stream/layers/{id}/media`).
async fn media(
    state: &AppState,
    obj: &serde_json::Map<String, Value>,
) -> Result<(String, Value), ApiError> {
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("id", "is required: the video layer's id"))?
        .to_string();
    let mut body = obj.clone();
    for k in ["type", "id", "request_id"] {
        body.remove(k);
    }
    let action = MediaAction::from_value(&Value::Object(body))?;
    let name = obj
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let layer = state.run(move |s| s.media(&id, &action)).await?;
    Ok((name, layer))
}
