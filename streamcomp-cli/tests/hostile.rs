//! Hostile input through the command line (issue 22) and the option ranges of the settings
//! table (issue 12): `validate` answers every numeric field at the edges as the core's
//! validator does; the issue's crashes are one line and exit 1, never a backtrace; every
//! numeric flag takes the settings table's bounds and refuses what is past them with the
//! table's message.

#[path = "../../streamcomp-core/tests/hostile_gen/mod.rs"]
mod hostile_gen;

use std::path::Path;
use std::process::{Command, Output};

use hostile_gen::{EDGE_VALUES, base_layer, num, numeric_fields, set};
use serde_json::{Value, json};
use streamcomp_core::settings::{self, Setting};
use streamcomp_core::{LoadOptions, Scene};

fn streamcomp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_streamcomp"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_str().unwrap().to_string()
}

/// One scene holding every case as a layer: `validate` must print exactly the core's issues.
#[test]
fn validate_answers_every_numeric_field_at_the_edges_as_the_core() {
    let dir = tempfile::tempdir().unwrap();
    let fields = numeric_fields(&Scene::json_schema());
    let mut layers = Vec::new();
    for f in &fields {
        for v in EDGE_VALUES {
            let mut layer = base_layer(&f.kind);
            set(&mut layer, &f.path, num(v));
            layers.push(layer);
        }
    }
    let doc = json!({"width": 160, "height": 90, "layers": layers});
    let expected = Scene::from_value(doc.clone(), &LoadOptions::default()).unwrap_err();
    let path = write(dir.path(), "edges.json", &doc);
    let o = streamcomp(&["validate", &path]);
    assert_eq!(o.status.code(), Some(1));
    let want: String = expected
        .issues
        .iter()
        .map(|i| format!("error: {i}\n"))
        .collect();
    assert_eq!(stderr(&o), want);
    assert!(
        expected.issues.len() > 100,
        "{} issues",
        expected.issues.len()
    );
}

#[test]
fn the_crashes_of_issue_22_are_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.png");
    for (field, message) in [
        (
            "font_size",
            "error: layers[0].font_size: must be at least 1, got 1e-308\n",
        ),
        (
            "line_height",
            "error: layers[0].line_height: must be between 0.1 and 10, got 1e-308\n",
        ),
    ] {
        let scene = write(
            dir.path(),
            "crash.json",
            &json!({"width": 320, "height": 180,
                    "layers": [{"type": "text", "text": "LIVE", field: 1e-308}]}),
        );
        for args in [
            vec!["frame", &scene, "-o", out.to_str().unwrap()],
            vec!["validate", &scene],
        ] {
            let o = streamcomp(&args);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
            assert_eq!(stderr(&o), message, "{args:?}");
        }
    }
}

/// Values at and past the bounds of a setting, with whether the table accepts each.
fn boundary_values(s: &Setting) -> Vec<(String, bool)> {
    let step = if s.whole { 1.0 } else { 0.0001 };
    [
        s.min,
        s.max,
        s.min - step,
        s.max + step,
        1e308,
        1e-308,
        -0.0,
        0.0,
    ]
    .into_iter()
    .map(|x| (format!("{x}"), s.accepts(x)))
    .collect()
}

#[test]
fn numeric_flags_take_the_settings_table_ranges_with_its_messages() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    let out = dir.path().join("out.mp4");
    let out = out.to_str().unwrap();
    // Each command with the flags it takes; the scene file is missing, so an accepted value
    // gets as far as reading it.
    let commands: [(&[&str], &[Setting]); 3] = [
        (
            &["render", missing, "-o", out, "--duration", "1"],
            &[
                settings::BITRATE,
                settings::AUDIO_BITRATE,
                settings::THREADS,
                settings::FPS,
            ],
        ),
        (
            &["render", missing, "-o", out],
            &[settings::RENDER_DURATION],
        ),
        (
            &["stream", missing, "--url", out],
            &[
                settings::BITRATE,
                settings::AUDIO_BITRATE,
                settings::THREADS,
                settings::LIVE_DURATION,
            ],
        ),
    ];
    let mut checked = 0;
    for (base, flags) in commands {
        for s in flags {
            for (value, ok) in boundary_values(s) {
                let mut args = base.to_vec();
                let flag_arg = format!("{}={value}", s.flag);
                args.push(&flag_arg);
                let o = streamcomp(&args);
                let err = stderr(&o);
                if ok {
                    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
                    assert!(err.contains("cannot read scene file"), "{args:?}: {err}");
                } else {
                    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
                    let want = s.message(&value);
                    assert!(err.contains(&want), "{args:?}: `{err}` lacks `{want}`");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 50);
}
