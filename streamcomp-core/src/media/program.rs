//! A video layer's program resolved: each playlist item's file found (confined like images),
//! probed once (cached by path, size and modification time), and laid out on a [`Timeline`]
//! with the layer's loop, start and playback anchor. The compositor and the mixer both build
//! it, so picture and sound follow one clock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use super::source::ItemFile;
use super::time::nanos_from_secs;
use super::timeline::{Anchor, Span, Timeline};
use super::{DecoderChoice, MediaError, MediaInfo, probe};
use crate::assets::AssetResolver;
use crate::error::{AssetError, RenderError};
use crate::limits::Limits;
use crate::scene::{Layer, Scene, VideoProps};

/// Most probes kept.
const MAX_CACHED: usize = 1024;

type ProbeKey = (PathBuf, DecoderChoice);

/// A probe with the file's modification time and size when it was made.
type Probed = (Option<SystemTime>, u64, MediaInfo);

static PROBES: Mutex<Option<HashMap<ProbeKey, Probed>>> = Mutex::new(None);

/// [`probe`], remembered while the file's size and modification time stay the same.
pub(crate) fn probe_cached(
    path: &Path,
    name: &str,
    choice: DecoderChoice,
    limits: &Limits,
) -> Result<MediaInfo, MediaError> {
    let meta = std::fs::metadata(path).map_err(|e| MediaError::io(name, e))?;
    let stamp = (meta.modified().ok(), meta.len());
    let key = (path.to_path_buf(), choice);
    {
        let g = PROBES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((m, l, info)) = g.as_ref().and_then(|c| c.get(&key))
            && (*m, *l) == stamp
        {
            return Ok(info.clone());
        }
    }
    let info = probe(path, name, choice, limits)?;
    let mut g = PROBES.lock().unwrap_or_else(|e| e.into_inner());
    let cache = g.get_or_insert_with(HashMap::new);
    if cache.len() >= MAX_CACHED {
        cache.clear();
    }
    cache.insert(key, (stamp.0, stamp.1, info.clone()));
    Ok(info)
}

/// A video layer's files and timeline.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    /// The items' files, in order.
    pub(crate) items: Vec<ItemFile>,
    /// When what plays.
    pub(crate) timeline: Timeline,
}

/// An error of the layer at `index`'s field `field`.
fn layer_err(index: usize, layer: &Layer, field: &str, source: AssetError) -> RenderError {
    RenderError::Asset {
        path: format!("layers[{index}].{field}"),
        layer: layer.id.to_string(),
        source,
    }
}

/// Finds, probes and lays out the files of the video layer at `index` of `scene`. Errors
/// name the field: `layers[2].playlist[1].src: clips/b.mkv: AV1 needs the ffmpeg backend`.
pub(crate) fn resolve(
    assets: &AssetResolver,
    scene: &Scene,
    index: usize,
    layer: &Layer,
    v: &VideoProps,
) -> Result<Program, RenderError> {
    let field = |i: usize, f: &str| {
        if v.is_playlist {
            format!("playlist[{i}].{f}")
        } else {
            f.to_string()
        }
    };
    let mut items = Vec::with_capacity(v.items.len());
    let mut spans = Vec::with_capacity(v.items.len());
    for (i, it) in v.items.iter().enumerate() {
        let path = assets
            .resolve_path(&it.src, scene.base_dir.as_deref())
            .map_err(|e| layer_err(index, layer, &field(i, "src"), e))?;
        let info = probe_cached(&path, &it.src, v.decoder, assets.limits())
            .map_err(|e| layer_err(index, layer, &field(i, "src"), e.into()))?;
        let start = nanos_from_secs(it.in_point);
        let end = it
            .out_point
            .map_or(info.duration, |o| nanos_from_secs(o).min(info.duration));
        if start >= end {
            return Err(layer_err(
                index,
                layer,
                &field(i, "in"),
                AssetError::Unsupported(format!(
                    "{}: `in` ({} s) is at or past the end of its pictures ({:.3} s)",
                    it.src,
                    it.in_point,
                    info.duration_secs()
                )),
            ));
        }
        spans.push(Span {
            start,
            len: end - start,
        });
        items.push(ItemFile {
            path,
            name: it.src.clone(),
            info,
        });
    }
    let origin = nanos_from_secs(layer.born).saturating_add(nanos_from_secs(v.start));
    let timeline = Timeline::new(spans, v.looped, origin);
    let anchor = v.playback.map(|pb| Anchor {
        at: nanos_from_secs(pb.at),
        program: timeline.program_of(pb.lap, pb.item, nanos_from_secs(pb.position)),
        paused: pb.paused,
    });
    Ok(Program {
        items,
        timeline: timeline.with_anchor(anchor),
    })
}
