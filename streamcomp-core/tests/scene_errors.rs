//! Validation messages: each kind of mistake names its JSON path, exactly.

use serde_json::json;
use streamcomp_core::{LoadOptions, Scene};

fn errors(doc: serde_json::Value) -> Vec<String> {
    match Scene::from_value(doc, &LoadOptions::default()) {
        Ok(_) => panic!("scene should have been refused"),
        Err(e) => e.issues.iter().map(|i| i.to_string()).collect(),
    }
}

fn scene_with(layer: serde_json::Value) -> serde_json::Value {
    json!({"width": 1280, "height": 720, "layers": [
        {"type": "rect", "width": 10, "height": 10},
        {"type": "rect", "width": 10, "height": 10},
        layer
    ]})
}

#[test]
fn out_of_range_value_names_its_path() {
    let e = errors(scene_with(
        json!({"type": "rect", "width": 1, "height": 1, "opacity": 1.5}),
    ));
    assert_eq!(e, ["layers[2].opacity: must be between 0 and 1, got 1.5"]);
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let e = errors(
        json!({"width": 1281, "height": 8, "fps": 500, "background": "#12", "colour": 1,
        "layers": [{"type": "circle"}, {"type": "text", "x": "10"}]}),
    );
    assert_eq!(
        e,
        [
            "width: must be even (video encoders need it), got 1281",
            "height: must be between 16 and 4320, got 8",
            "fps: must be between 1 and 120, got 500",
            "background: invalid colour `#12`: expected #rgb, #rgba, #rrggbb or #rrggbbaa with hex digits",
            "colour: unknown field",
            "layers[0].type: must be one of rect, ellipse, image, text, audio, video, input, got \"circle\"",
            "layers[1].x: must be a number, got a string",
            "layers[1].text: is required",
        ]
    );
}

#[test]
fn unknown_fields_are_errors_with_a_hint() {
    let e = errors(scene_with(
        json!({"type": "text", "text": "hi", "font_sise": 12}),
    ));
    assert_eq!(
        e,
        ["layers[2].font_sise: unknown field (did you mean `font_size`?)"]
    );
    let e = errors(scene_with(
        json!({"type": "rect", "width": 1, "height": 1, "text": "no"}),
    ));
    assert_eq!(e, ["layers[2].text: unknown field"]);
}

#[test]
fn duplicate_ids_are_refused() {
    let e = errors(json!({"width": 64, "height": 64, "layers": [
        {"id": "a", "type": "rect", "width": 1, "height": 1},
        {"id": "a", "type": "ellipse", "width": 1, "height": 1}]}));
    assert_eq!(
        e,
        ["layers[1].id: duplicate id `a` (also used by layers[0])"]
    );
}

#[test]
fn nested_paths_and_types() {
    let e = errors(scene_with(
        json!({"type": "text", "text": "{nope}", "id": "bad id!",
        "outline": {"width": -1}, "animations": [{"property": "x", "duration": 0, "easing": "bounce"}]}),
    ));
    assert_eq!(
        e,
        [
            "layers[2].id: must be 1-64 characters of A-Z a-z 0-9 _ . -, got \"bad id!\"",
            "layers[2].outline.width: must be between 0 and 100, got -1",
            "layers[2].outline.color: is required",
            "layers[2].animations[0].duration: must be greater than 0, got 0",
            "layers[2].animations[0].easing: unknown easing `bounce`; expected linear, ease, ease-in, ease-out, ease-in-out or cubic-bezier(x1,y1,x2,y2)",
            "layers[2].text: unknown template `{nope}`; known: {time}, {time:FORMAT}, {date}, {elapsed}, {countdown:RFC3339}, {frame} (write `{{` for a literal brace)",
        ]
    );
}

#[test]
fn shapes_need_a_size_and_limits_apply() {
    let e = errors(scene_with(json!({"type": "ellipse"})));
    assert_eq!(
        e,
        [
            "layers[2].width: is required for ellipse layers",
            "layers[2].height: is required for ellipse layers"
        ]
    );
    let many: Vec<_> = (0..3)
        .map(|_| json!({"type": "rect", "width": 1, "height": 1}))
        .collect();
    let err = Scene::from_value(
        json!({"width": 64, "height": 64, "layers": many}),
        &LoadOptions::default().with_max_layers(2),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "layers: at most 2 layers are allowed, got 3"
    );
}

#[test]
fn malformed_json_says_where() {
    let e =
        Scene::from_json("{\"width\": 64,\n \"height\": }", &LoadOptions::default()).unwrap_err();
    assert!(
        e.to_string().starts_with("not valid JSON: expected value"),
        "{e}"
    );
    assert!(e.to_string().contains("line 2"), "{e}");
}

#[test]
fn round_trips_and_generates_ids() {
    let s = Scene::from_value(
        json!({"width": 64, "height": 32, "fps": 25, "layers": [
            {"type": "rect", "width": 4, "height": 4}, {"id": "rect-1", "type": "rect", "width": 2, "height": 2}]}),
        &LoadOptions::default(),
    )
    .unwrap();
    // An explicit id is never taken by a generated one.
    assert_eq!(s.layers[0].id.as_str(), "rect-2");
    let again = Scene::from_json(&s.to_json(), &LoadOptions::default()).unwrap();
    assert_eq!(again.to_value(), s.to_value());
    assert_eq!(again.fps, 25.0);
}

#[test]
fn schema_comes_from_the_same_tables() {
    let schema = Scene::json_schema();
    let layer_kinds = schema["properties"]["layers"]["items"]["oneOf"]
        .as_array()
        .unwrap();
    assert_eq!(layer_kinds.len(), 7);
    let text = layer_kinds
        .iter()
        .find(|k| k["title"] == "text layer")
        .unwrap();
    assert_eq!(text["properties"]["font_size"]["default"], json!(32));
    assert_eq!(text["properties"]["opacity"]["maximum"], json!(1.0));
    assert_eq!(text["additionalProperties"], json!(false));
    assert_eq!(schema["properties"]["width"]["multipleOf"], json!(2));
}
