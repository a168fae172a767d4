//! `streamcomp schema`: the JSON Schema of scene documents.

use std::process::ExitCode;

pub(crate) fn run() -> anyhow::Result<ExitCode> {
    println!(
        "{}",
        serde_json::to_string_pretty(&streamcomp_core::Scene::json_schema())?
    );
    Ok(ExitCode::SUCCESS)
}
