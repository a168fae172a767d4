//! The server reads its numeric settings through the core's settings table (issue 12): the
//! environment variables take the table's bounds and refuse what is past them with the
//! table's message; fades on `DELETE` take the table's fade range.

mod common;

use std::process::{Command, Stdio};

use common::Server;
use serde_json::json;
use streamcomp_core::settings::{self, Setting};

const ENV_SETTINGS: [Setting; 4] = [
    settings::FPS,
    settings::BITRATE,
    settings::AUDIO_BITRATE,
    settings::MAX_LAYERS,
];

/// The server refuses `value` for the setting's variable at start, with one line.
fn refused_at_start(s: &Setting, value: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_streamcomp-server"))
        .current_dir(dir.path())
        .env_clear()
        .env("PORT", common::free_port().to_string())
        .env("WS_PORT", common::free_port().to_string())
        .env("METRICS_PORT", common::free_port().to_string())
        .env("STATE_PATH", dir.path().join("state"))
        .env(s.env, value)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}={value} was accepted", s.env);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn environment_settings_refuse_values_past_the_tables_bounds() {
    for s in &ENV_SETTINGS {
        let step = if s.whole { 1.0 } else { 0.5 };
        for x in [s.min - step, s.max + step, 1e308, f64::NAN] {
            if s.accepts(x) {
                continue;
            }
            let value = format!("{x}");
            let err = refused_at_start(s, &value);
            let want = format!("{}={value}: {}", s.env, s.message(&value));
            assert!(err.contains(&want), "`{err}` lacks `{want}`");
        }
    }
}

#[test]
fn environment_settings_take_the_tables_bounds() {
    for pick in [|s: &Setting| s.max, |s: &Setting| s.min] {
        let env: Vec<(String, String)> = ENV_SETTINGS
            .iter()
            .map(|s| (s.env.to_string(), format!("{}", pick(s))))
            .collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let s = Server::start(&env);
        let st = s.get("/stream/status").json();
        assert_eq!(st["fps"].as_f64(), Some(pick(&settings::FPS)), "{st}");
    }
}

#[test]
fn delete_fades_take_the_tables_range() {
    let s = Server::start(&[]);
    let rect = json!({"type": "rect", "width": 10, "height": 10});
    for (fade, ok) in [
        ("3600", true),
        ("0", true),
        ("-0.0", true),
        ("0.001", true),
        ("3600.5", false),
        ("1e-308", false),
        ("-1", false),
        ("1e400", false),
    ] {
        let id = s.json("POST", "/stream/layers", &rect).json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = s.req("DELETE", &format!("/stream/layers/{id}?fade={fade}"), b"");
        if ok {
            assert_eq!(r.status, 200, "fade={fade}");
        } else {
            assert_eq!(r.status, 422, "fade={fade}");
            let got: f64 = fade.parse().unwrap();
            assert_eq!(
                r.json()["error"]["message"],
                settings::FADE.check(got).unwrap_err(),
                "fade={fade}"
            );
        }
    }
}
