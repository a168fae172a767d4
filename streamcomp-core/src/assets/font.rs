//! Fonts: the bundled default (DejaVu Sans from the `dejavu` crate, Noto Emoji from
//! `epaint_default_fonts` for emoji), system fonts by family name (loaded on first use), and
//! font files by path (through the asset resolver, so confinement and size limits apply).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cosmic_text::{FontSystem, SwashCache, fontdb};

use super::AssetResolver;
use crate::error::AssetError;
use crate::scene::FontSpec;

/// The family name of the bundled default font.
pub(crate) const DEFAULT_FAMILY: &str = "DejaVu Sans";

/// The font database and glyph-outline cache used for text layers.
pub(crate) struct FontLibrary {
    pub(crate) system: FontSystem,
    pub(crate) swash: SwashCache,
    system_fonts: bool,
    system_loaded: bool,
    files: HashMap<PathBuf, String>,
}

impl FontLibrary {
    /// A library with the bundled fonts; system fonts are loaded on first use of a family name
    /// when `system_fonts` is true.
    pub(crate) fn new(system_fonts: bool) -> FontLibrary {
        let mut db = fontdb::Database::new();
        for data in [
            dejavu::sans::regular(),
            dejavu::sans::bold(),
            dejavu::sans::oblique(),
            dejavu::sans::bold_oblique(),
            epaint_default_fonts::NOTO_EMOJI_REGULAR,
        ] {
            db.load_font_source(fontdb::Source::Binary(Arc::new(data)));
        }
        db.set_sans_serif_family(DEFAULT_FAMILY);
        FontLibrary {
            system: FontSystem::new_with_locale_and_db("en-US".into(), db),
            swash: SwashCache::new(),
            system_fonts,
            system_loaded: false,
            files: HashMap::new(),
        }
    }

    fn has_family(&self, name: &str) -> bool {
        self.system.db().faces().any(|f| {
            f.families
                .iter()
                .any(|(fam, _)| fam.eq_ignore_ascii_case(name))
        })
    }

    /// The family name to lay text out with for `spec`, loading fonts as needed.
    pub(crate) fn family(
        &mut self,
        spec: &FontSpec,
        assets: &AssetResolver,
        base_dir: Option<&Path>,
    ) -> Result<String, AssetError> {
        match spec {
            FontSpec::Default => Ok(DEFAULT_FAMILY.to_string()),
            FontSpec::Family(name) => {
                if !self.has_family(name) && self.system_fonts && !self.system_loaded {
                    self.system.db_mut().load_system_fonts();
                    self.system_loaded = true;
                }
                let found = self.system.db().faces().find_map(|f| {
                    f.families
                        .iter()
                        .find(|(fam, _)| fam.eq_ignore_ascii_case(name))
                        .map(|(fam, _)| fam.clone())
                });
                found.ok_or_else(|| {
                    let hint = if self.system_fonts {
                        ""
                    } else {
                        " (system fonts are off here)"
                    };
                    AssetError::Font(format!(
                        "font family `{name}` not found{hint}; use \"default\", an installed family (see `fc-list : family`) or a font file path"
                    ))
                })
            }
            FontSpec::File(src) => {
                let path = assets.resolve_path(src, base_dir)?;
                if let Some(f) = self.files.get(&path) {
                    return Ok(f.clone());
                }
                let bytes = assets.read_file(src, base_dir)?;
                let ids = self
                    .system
                    .db_mut()
                    .load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
                let family = ids
                    .first()
                    .and_then(|id| self.system.db().face(*id))
                    .and_then(|f| f.families.first().map(|(fam, _)| fam.clone()))
                    .ok_or_else(|| AssetError::Decode {
                        src: src.clone(),
                        message: "not a TrueType/OpenType font".into(),
                    })?;
                self.files.insert(path, family.clone());
                Ok(family)
            }
        }
    }
}
