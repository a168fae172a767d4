//! API fuzz test (issue 22): seeded random sequences of create, patch, batch and delete with
//! bodies drawn from the core's hostile-layer generators; never a 5xx, the layer count follows
//! the answers, the stream keeps rendering. Also every numeric field of every layer kind at the
//! issue's edge values through `POST /stream/layers`: accepted or refused as the core's
//! validator does, with its message, never a 5xx.

mod common;

#[path = "../../streamcomp-core/tests/hostile_gen/mod.rs"]
mod hostile_gen;

use common::{Server, eventually};
use hostile_gen::{
    EDGE_VALUES, Rng, base_inputs, base_layer, num, numeric_fields, random_layer, random_patch, set,
};
use serde_json::json;
use streamcomp_core::{Layer, Scene};

fn rendered(s: &Server) -> u64 {
    s.get("/stream/status").json()["frames"]["rendered"]
        .as_u64()
        .unwrap_or(0)
}

fn count(s: &Server) -> usize {
    s.get("/stream/layers").json().as_array().unwrap().len()
}

#[test]
fn every_numeric_field_at_the_edges_through_post_is_answered_as_the_core_validates() {
    let s = Server::start(&[("MAX_LAYERS", "10000")]);
    // Input layers must name an input of the scene.
    for (name, input) in base_inputs().as_object().unwrap() {
        let r = s.json("PUT", &format!("/stream/inputs/{name}"), input);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let fields = numeric_fields(&Scene::json_schema());
    let mut created = 0;
    // Audio and video layers need files: the core's own hostile test covers their fields.
    for f in fields
        .iter()
        .filter(|f| f.kind != "audio" && f.kind != "video")
    {
        for v in EDGE_VALUES {
            let mut layer = base_layer(&f.kind);
            set(&mut layer, &f.path, num(v));
            let expected = Layer::from_value(&layer, |_| "x".into());
            let r = s.json("POST", "/stream/layers", &layer);
            let what = format!(
                "{}.{} = {v:e}: {}",
                f.kind,
                f.path,
                String::from_utf8_lossy(&r.body)
            );
            assert!(r.status < 500, "{what}");
            match expected {
                Ok(_) => {
                    assert_eq!(r.status, 201, "{what}");
                    created += 1;
                }
                Err(e) => {
                    assert_eq!(r.status, 422, "{what}");
                    let body = r.json();
                    assert_eq!(body["error"]["path"], e.first().path.as_str(), "{what}");
                    assert_eq!(
                        body["error"]["message"],
                        e.to_string().replace('\n', "; "),
                        "{what}"
                    );
                }
            }
        }
    }
    assert!(created > 50, "{created} created");
    assert_eq!(count(&s), created);
    // The two crashes of the issue: 422 naming the bound, no panic text.
    for (field, message) in [
        ("font_size", "font_size: must be at least 1, got 1e-308"),
        (
            "line_height",
            "line_height: must be between 0.1 and 10, got 1e-308",
        ),
    ] {
        let r = s.json(
            "POST",
            "/stream/layers",
            &json!({"type": "text", "text": "LIVE", field: 1e-308}),
        );
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["error"]["message"], message);
    }
    let r0 = rendered(&s);
    assert!(
        eventually(10, || rendered(&s) > r0 + 5),
        "the scene keeps rendering"
    );
}

#[test]
fn random_creates_patches_batches_and_deletes_never_answer_5xx() {
    let s = Server::start(&[("MAX_LAYERS", "40")]);
    let fields = numeric_fields(&Scene::json_schema());
    let seed = std::env::var("API_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(22u64);
    let steps: usize = std::env::var("API_FUZZ_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut rng = Rng(seed);
    // id -> kind of the layers the server holds, by its answers.
    let mut layers: Vec<(String, String)> = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for step in 0..steps {
        let what = |r: &common::Res| {
            format!(
                "seed {seed} step {step}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            )
        };
        match rng.below(10) {
            0..=3 => {
                let layer = random_layer(&mut rng, &fields);
                let kind = layer["type"].as_str().unwrap().to_string();
                let r = s.json("POST", "/stream/layers", &layer);
                assert!(r.status < 500, "{}", what(&r));
                if r.status == 201 {
                    layers.push((r.json()["id"].as_str().unwrap().to_string(), kind));
                }
                *statuses.entry(r.status).or_default() += 1;
            }
            4..=6 if !layers.is_empty() => {
                let (id, kind) = rng.pick(&layers).clone();
                let mut patch = random_patch(&mut rng, &fields, &kind);
                if rng.below(3) == 0 {
                    patch["transition"] = num(*rng.pick(&[0.3, 1e-308, 0.0, 7200.0, -0.0]));
                }
                let r = s.json("PUT", &format!("/stream/layers/{id}"), &patch);
                assert!(r.status < 500, "{}", what(&r));
                *statuses.entry(r.status).or_default() += 1;
            }
            7 | 8 => {
                // A batch of two or three operations, all or nothing.
                let mut ops = Vec::new();
                let mut adds = Vec::new();
                for _ in 0..2 + rng.below(2) {
                    if layers.is_empty() || rng.below(2) == 0 {
                        let layer = random_layer(&mut rng, &fields);
                        adds.push(layer["type"].as_str().unwrap().to_string());
                        ops.push(json!({"op": "create", "layer": layer}));
                    } else {
                        let (id, kind) = rng.pick(&layers).clone();
                        ops.push(json!({"op": "update", "id": id,
                                        "layer": random_patch(&mut rng, &fields, &kind)}));
                    }
                }
                let r = s.json("POST", "/stream/layers/batch", &json!({"ops": ops}));
                assert!(r.status < 500, "{}", what(&r));
                if r.status == 200 {
                    let results = r.json()["results"].as_array().unwrap().clone();
                    let mut kinds = adds.into_iter();
                    for (op, res) in ops.iter().zip(results) {
                        if op["op"] == "create" {
                            layers.push((
                                res["id"].as_str().unwrap().to_string(),
                                kinds.next().unwrap(),
                            ));
                        }
                    }
                }
                *statuses.entry(r.status).or_default() += 1;
            }
            _ if !layers.is_empty() => {
                let i = rng.below(layers.len());
                let fade = rng.pick(&[
                    "",
                    "?fade=0",
                    "?fade=0.2",
                    "?fade=1e-308",
                    "?fade=-0.0",
                    "?fade=1e15",
                ]);
                let r = s.req(
                    "DELETE",
                    &format!("/stream/layers/{}{fade}", layers[i].0),
                    b"",
                );
                assert!(r.status < 500, "{}", what(&r));
                if r.status == 200 {
                    layers.remove(i);
                }
                *statuses.entry(r.status).or_default() += 1;
            }
            _ => {}
        }
        if step % 50 == 49 {
            // Fading layers leave the list once faded out (at most 0.2 s here).
            assert!(
                eventually(5, || count(&s) == layers.len()),
                "seed {seed} step {step}: {} layers, {} expected",
                count(&s),
                layers.len()
            );
        }
    }
    eprintln!(
        "seed {seed}, {steps} steps: statuses {statuses:?}, {} layers",
        layers.len()
    );
    assert!(
        statuses.get(&201).copied().unwrap_or(0) > 10,
        "{statuses:?}"
    );
    assert!(
        statuses.get(&422).copied().unwrap_or(0) > 10,
        "{statuses:?}"
    );
    assert!(eventually(5, || count(&s) == layers.len()));
    // The stream keeps rendering with whatever was accepted, and after everything is removed.
    let r0 = rendered(&s);
    assert!(
        eventually(10, || rendered(&s) > r0 + 5),
        "rendering stopped: {} {}",
        s.get("/stream/status").json(),
        s.get("/stream/layers").json()
    );
    for (id, _) in &layers {
        assert_eq!(
            s.req("DELETE", &format!("/stream/layers/{id}"), b"").status,
            200
        );
    }
    let r1 = rendered(&s);
    assert!(
        eventually(10, || rendered(&s) > r1 + 5),
        "rendering stopped"
    );
    let st = s.get("/stream/status").json();
    assert_eq!(st["layers"], 0, "{st}");
}
