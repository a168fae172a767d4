//! One module per subcommand, plus the shared error printing and scene loading.

pub(crate) mod bench;
pub(crate) mod frame;
pub(crate) mod render;
pub(crate) mod schema;
pub(crate) mod stream;
pub(crate) mod validate;

use std::path::Path;

use streamcomp_core::{AssetResolver, Error, LoadOptions, RemotePolicy, Scene};

/// Prints an error as one line per problem, prefixed with `error: `.
pub(crate) fn print_error(e: &anyhow::Error) {
    let text = match e.downcast_ref::<Error>() {
        Some(Error::Scene(se)) => se
            .issues
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => format!("{e:#}"),
    };
    for line in text.lines() {
        eprintln!("error: {line}");
    }
}

/// Options every command that reads assets shares.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct AssetArgs {
    /// Allow `http(s)` image sources from this host (repeat for more). None by default.
    #[arg(long = "allow-host", value_name = "HOST")]
    allow_hosts: Vec<String>,
    /// Use only the bundled fonts, not the system's (identical text on every machine).
    #[arg(long)]
    no_system_fonts: bool,
}

/// Loads a scene file; relative asset paths resolve against its folder.
pub(crate) fn load_scene(path: &Path, a: &AssetArgs) -> anyhow::Result<(Scene, AssetResolver)> {
    let scene = Scene::from_file(path, &LoadOptions::default())?;
    let mut remote = RemotePolicy::default();
    remote.allowed_hosts = a.allow_hosts.clone();
    let assets = AssetResolver::new(scene.base_dir.clone().unwrap_or_else(|| ".".into()))
        .with_remote(remote)
        .with_system_fonts(!a.no_system_fonts);
    Ok((scene, assets))
}
