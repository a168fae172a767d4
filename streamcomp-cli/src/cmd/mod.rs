//! One module per subcommand, plus the shared error printing and scene loading.

pub(crate) mod bench;
pub(crate) mod frame;
pub(crate) mod schema;
pub(crate) mod validate;

use std::path::Path;

use streamcomp_core::{AssetResolver, Error, LoadOptions, Scene};

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

/// Loads a scene file; relative asset paths resolve against its folder.
pub(crate) fn load_scene(path: &Path) -> anyhow::Result<(Scene, AssetResolver)> {
    let scene = Scene::from_file(path, &LoadOptions::default())?;
    let assets = AssetResolver::new(scene.base_dir.clone().unwrap_or_else(|| ".".into()));
    Ok((scene, assets))
}
