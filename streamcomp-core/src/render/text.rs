//! Text layers: shaping and layout with cosmic-text (kerning, ligatures, bidi, per-glyph font
//! fallback), glyph outlines filled and stroked with tiny-skia, then outline, blurred shadow and
//! background box.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use cosmic_text::{Align, Attrs, Buffer, Family, Metrics, Shaping, Wrap};
use tiny_skia::{
    FillRule, LineCap, LineJoin, Path as SkPath, PathBuilder, Pixmap, Stroke, Transform,
};

use super::cache::hash_f64;
use super::kind::{Ctx, Rasterise};
use super::raster::Raster;
use super::shape::{paint, round_rect};
use crate::assets::{AssetResolver, FontLibrary};
use crate::error::{AssetError, RenderError};
use crate::scene::{Color, FontSpec, TextAlign, TextProps};

impl Rasterise for TextProps {
    /// The template expanded at the layer's time, laid out and drawn at the raster scale.
    fn raster(&self, cx: &mut Ctx<'_>) -> Result<(u64, Arc<Raster>), RenderError> {
        self.template.expand_into(cx.clock, cx.text_buf);
        let (w, scale) = (cx.s.width, cx.raster_scale);
        let mut hasher = DefaultHasher::new();
        (
            "text",
            &*cx.text_buf,
            &self.font,
            self.color,
            self.align,
            self.outline.map(|o| (o.color, o.width.to_bits())),
            self.shadow
                .map(|s| (s.color, [s.dx, s.dy, s.blur].map(f64::to_bits))),
            self.background
                .map(|b| (b.color, [b.padding, b.radius].map(f64::to_bits))),
        )
            .hash(&mut hasher);
        for v in [self.font_size, self.line_height, w.unwrap_or(-1.0), scale] {
            hash_f64(&mut hasher, v);
        }
        if let FontSpec::File(_) = self.font {
            cx.scene.base_dir.hash(&mut hasher);
        }
        let key = hasher.finish();
        let raster = cx.cached(key, |cx| {
            let fonts = cx
                .fonts
                .get_or_insert_with(|| FontLibrary::new(cx.assets.system_fonts()));
            let scaled;
            let props = if scale == 1.0 {
                self
            } else {
                scaled = self.scaled(scale);
                &scaled
            };
            rasterize_text(
                fonts,
                cx.assets,
                cx.scene.base_dir.as_deref(),
                props,
                cx.text_buf,
                w.map(|w| (w * scale) as f32),
            )
            .map_err(|e| match e {
                AssetError::TooLarge { .. } => cx.asset_err("text", e),
                _ => cx.asset_err("font", e),
            })
        })?;
        Ok((key, raster))
    }
}

/// The smallest font size and line height, in pixels, that text is laid out at.
const MIN_LAYOUT_PX: f32 = 0.01;

/// Lays out text and returns the glyph outlines as one path (box coordinates: the box's
/// top-left is 0,0), the box size and the number of lines.
fn layout(
    fonts: &mut FontLibrary,
    family: &str,
    props: &TextProps,
    text: &str,
    wrap_width: Option<f32>,
) -> (Option<SkPath>, f32, f32) {
    let size = props.font_size as f32;
    let line_h = size * props.line_height as f32;
    let wrap_width = wrap_width.map(|w| if w.is_finite() { w.max(0.0) } else { 0.0 });
    // The validator keeps font sizes at 1 px or more and line heights at 0.1 or more; sizes
    // that still cannot be laid out (cosmic-text asserts on a zero line height) lay out to
    // nothing instead of reaching it.
    if !(size.is_finite() && size >= MIN_LAYOUT_PX && line_h.is_finite() && line_h >= MIN_LAYOUT_PX)
    {
        return (None, wrap_width.unwrap_or(0.0), 0.0);
    }
    let fs = &mut fonts.system;
    let mut buffer = Buffer::new(fs, Metrics::new(size, line_h));
    buffer.set_wrap(if wrap_width.is_some() {
        Wrap::WordOrGlyph
    } else {
        Wrap::None
    });
    buffer.set_size(wrap_width, None);
    let mut attrs = Attrs::new();
    attrs.family = Family::Name(family);
    buffer.set_text(text, &attrs, Shaping::Advanced, Some(Align::Left));
    buffer.shape_until_scroll(fs, false);

    let runs: Vec<_> = buffer.layout_runs().collect();
    let widest = runs.iter().map(|r| r.line_w).fold(0.0f32, f32::max);
    let box_w = wrap_width.unwrap_or(widest);
    let box_h = (runs.len().max(1)) as f32 * line_h;
    let top = runs.first().map(|r| r.line_top).unwrap_or(0.0);
    let factor = match props.align {
        TextAlign::Left => 0.0,
        TextAlign::Center => 0.5,
        TextAlign::Right => 1.0,
    };
    let mut pb = PathBuilder::new();
    for run in &runs {
        let line_x = (box_w - run.line_w) * factor;
        for g in run.glyphs {
            let key = g.physical((0.0, 0.0), 1.0).cache_key;
            let Some(cmds) = fonts.swash.get_outline_commands(fs, key) else {
                continue;
            };
            let ox = line_x + g.x + g.font_size * g.x_offset;
            let oy = run.line_y - top + g.y - g.font_size * g.y_offset;
            // Outlines are y-up around the glyph origin; the canvas is y-down.
            for c in cmds.iter().copied() {
                use cosmic_text::Command as C;
                match c {
                    C::MoveTo(a) => pb.move_to(ox + a.x, oy - a.y),
                    C::LineTo(a) => pb.line_to(ox + a.x, oy - a.y),
                    C::QuadTo(a, b) => pb.quad_to(ox + a.x, oy - a.y, ox + b.x, oy - b.y),
                    C::CurveTo(a, b, d) => {
                        pb.cubic_to(ox + a.x, oy - a.y, ox + b.x, oy - b.y, ox + d.x, oy - d.y)
                    }
                    C::Close => pb.close(),
                }
            }
        }
    }
    (pb.finish(), box_w, box_h)
}

/// Three box blurs approximating a gaussian of standard deviation `sigma`, on premultiplied
/// RGBA in place.
fn blur(pm: &mut Pixmap, sigma: f32) {
    if sigma <= 0.0 {
        return;
    }
    // Box width for three passes (W3C filter effects: d = floor(s * 3 * sqrt(2π) / 4 + 0.5)).
    let d = (sigma * 3.0 * (2.0 * std::f32::consts::PI).sqrt() / 4.0 + 0.5).floor() as usize;
    if d < 2 {
        return;
    }
    let (w, h) = (pm.width() as usize, pm.height() as usize);
    let mut tmp = vec![0u8; w.max(h) * 4];
    let data = pm.data_mut();
    let mut pass =
        |data: &mut [u8], len: usize, count: usize, at: &dyn Fn(usize, usize) -> usize| {
            let r = d / 2;
            for line in 0..count {
                let mut sum = [0u32; 4];
                for i in 0..(r + 1).min(len) {
                    let j = at(line, i);
                    for c in 0..4 {
                        sum[c] += data[j + c] as u32;
                    }
                }
                for i in 0..len {
                    for c in 0..4 {
                        tmp[i * 4 + c] = ((sum[c] + (d as u32 / 2)) / d as u32).min(255) as u8;
                    }
                    if i + r + 1 < len {
                        let j = at(line, i + r + 1);
                        for c in 0..4 {
                            sum[c] += data[j + c] as u32;
                        }
                    }
                    if i >= r {
                        let j = at(line, i - r);
                        for c in 0..4 {
                            sum[c] -= data[j + c] as u32;
                        }
                    }
                }
                for i in 0..len {
                    let j = at(line, i);
                    data[j..j + 4].copy_from_slice(&tmp[i * 4..i * 4 + 4]);
                }
            }
        };
    for _ in 0..3 {
        pass(data, w, h, &|y, x| (y * w + x) * 4);
        pass(data, h, w, &|x, y| (y * w + x) * 4);
    }
}

/// Lays out and rasterises text (the template already expanded into `text`).
///
/// The box is `wrap_width` wide when given (lines wrap at it), else as wide as the widest line;
/// it is as tall as the lines (`line_height * font_size` each). Its top is the top of the first
/// line box, its left the start of the line.
pub(crate) fn rasterize_text(
    fonts: &mut FontLibrary,
    assets: &AssetResolver,
    base_dir: Option<&Path>,
    props: &TextProps,
    text: &str,
    wrap_width: Option<f32>,
) -> Result<Raster, AssetError> {
    let family = fonts.family(&props.font, assets, base_dir)?;
    let (glyphs, box_w, box_h) = layout(fonts, &family, props, text, wrap_width);

    // Everything that will be drawn, in box coordinates: box, ink, outline, shadow, background.
    let outline = props.outline.filter(|o| o.width > 0.0 && o.color.a > 0);
    let ow = outline.map(|o| o.width as f32).unwrap_or(0.0);
    let (mut x0, mut y0, mut x1, mut y1) = (0.0f32, 0.0f32, box_w, box_h);
    let mut grow = |ax: f32, ay: f32, bx: f32, by: f32| {
        x0 = x0.min(ax);
        y0 = y0.min(ay);
        x1 = x1.max(bx);
        y1 = y1.max(by);
    };
    if let Some(path) = &glyphs {
        let b = path.bounds();
        let (ax, ay, bx, by) = (b.left() - ow, b.top() - ow, b.right() + ow, b.bottom() + ow);
        grow(ax, ay, bx, by);
        if let Some(s) = props.shadow {
            let spread = (s.blur as f32 / 2.0) * 3.0 + 1.0;
            let (dx, dy) = (s.dx as f32, s.dy as f32);
            grow(
                ax + dx - spread,
                ay + dy - spread,
                bx + dx + spread,
                by + dy + spread,
            );
        }
    }
    if let Some(bg) = props.background {
        let p = bg.padding as f32;
        grow(-p, -p, box_w + p, box_h + p);
    }
    let (ox, oy) = ((-x0).ceil().max(0.0), (-y0).ceil().max(0.0));
    let (pw, ph) = ((x1 + ox).ceil().max(1.0), (y1 + oy).ceil().max(1.0));
    let max_px = assets.limits().max_raster_pixels;
    if (pw as f64) * (ph as f64) > max_px as f64 {
        return Err(AssetError::TooLarge {
            what: "text layer".into(),
            detail: format!("a {pw}x{ph} px raster exceeds the limit of {max_px} pixels"),
        });
    }
    let mut pm = Pixmap::new(pw as u32, ph as u32).ok_or_else(|| AssetError::TooLarge {
        what: "text layer".into(),
        detail: format!("cannot allocate a {pw}x{ph} raster"),
    })?;
    let at = Transform::from_translate(ox, oy);

    if let Some(bg) = props.background.filter(|b| b.color.a > 0) {
        let p = bg.padding as f32;
        if let Some(r) = round_rect(-p, -p, box_w + 2.0 * p, box_h + 2.0 * p, bg.radius as f32) {
            pm.fill_path(&r, &paint(bg.color), FillRule::Winding, at, None);
        }
    }
    if let Some(path) = &glyphs {
        let stroke = Stroke {
            width: 2.0 * ow,
            line_join: LineJoin::Round,
            line_cap: LineCap::Round,
            ..Stroke::default()
        };
        if let Some(s) = props.shadow.filter(|s| s.color.a > 0) {
            let mut sh = Pixmap::new(pm.width(), pm.height()).expect("same size as the raster");
            let st = at.post_translate(s.dx as f32, s.dy as f32);
            let opaque = Color { a: 255, ..s.color };
            sh.fill_path(path, &paint(opaque), FillRule::Winding, st, None);
            if outline.is_some() {
                sh.stroke_path(path, &paint(opaque), &stroke, st, None);
            }
            blur(&mut sh, s.blur as f32 / 2.0);
            let pp = tiny_skia::PixmapPaint {
                opacity: s.color.a as f32 / 255.0,
                ..Default::default()
            };
            pm.draw_pixmap(0, 0, sh.as_ref(), &pp, Transform::identity(), None);
        }
        if let Some(o) = outline {
            pm.stroke_path(path, &paint(o.color), &stroke, at, None);
        }
        pm.fill_path(path, &paint(props.color), FillRule::Winding, at, None);
    }
    let mut r = Raster::from_pixmap(pm, box_w, box_h);
    r.origin_x = ox as i32;
    r.origin_y = oy as i32;
    r.opaque = false;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{FontSpec, Outline, Shadow, Template, TextBackground};

    fn props(text: &str, size: f64) -> TextProps {
        TextProps {
            text: text.into(),
            template: Template::parse("x").unwrap(),
            font: FontSpec::Default,
            font_size: size,
            color: Color::WHITE,
            align: TextAlign::Left,
            line_height: 1.2,
            outline: None,
            shadow: None,
            background: None,
        }
    }

    fn render(p: &TextProps, wrap: Option<f32>) -> Raster {
        let mut fonts = FontLibrary::new(false);
        rasterize_text(
            &mut fonts,
            &AssetResolver::default(),
            None,
            p,
            &p.text,
            wrap,
        )
        .unwrap()
    }

    /// Columns that hold ink (alpha > 0), as (first, last) relative to the box's left.
    fn ink_columns(r: &Raster) -> (i32, i32) {
        let (w, h) = (r.pixmap.width() as i32, r.pixmap.height() as i32);
        let d = r.pixmap.data();
        let cols: Vec<i32> = (0..w)
            .filter(|&x| (0..h).any(|y| d[((y * w + x) * 4 + 3) as usize] > 0))
            .collect();
        (cols[0] - r.origin_x, cols[cols.len() - 1] - r.origin_x)
    }

    fn ink(r: &Raster) -> usize {
        r.pixmap.data().chunks_exact(4).filter(|p| p[3] > 0).count()
    }

    #[test]
    fn box_follows_css_em_size_and_line_height() {
        let r = render(&props("Hello", 48.0), None);
        assert_eq!(r.box_h, 48.0 * 1.2);
        // DejaVu Sans advances: H 0.752, e 0.615, l 0.278, o 0.612 em → 2.535 em = 121.7 px.
        assert!((r.box_w - 121.7).abs() < 1.5, "width {}", r.box_w);
        assert!(ink(&r) > 500);
        let two = render(&props("one\ntwo", 20.0), None);
        assert_eq!(two.box_h, 2.0 * 24.0);
    }

    #[test]
    fn wraps_and_aligns() {
        let wrapped = render(
            &props("several words that need wrapping", 20.0),
            Some(100.0),
        );
        assert_eq!(wrapped.box_w, 100.0);
        assert!(
            wrapped.box_h >= 3.0 * 24.0,
            "lines: {}",
            wrapped.box_h / 24.0
        );
        let mut p = props("ab", 20.0);
        let left = ink_columns(&render(&p, Some(200.0)));
        p.align = TextAlign::Right;
        let right = ink_columns(&render(&p, Some(200.0)));
        p.align = TextAlign::Center;
        let center = ink_columns(&render(&p, Some(200.0)));
        assert!(left.0 < 3 && right.1 > 196, "{left:?} {right:?}");
        let mid = (center.0 + center.1) / 2;
        assert!((mid - 100).abs() <= 2, "{center:?}");
    }

    #[test]
    fn right_to_left_and_emoji_have_real_glyphs() {
        let mut fonts = FontLibrary::new(false);
        for text in ["مرحبا", "שלום", "😀", "Привет"] {
            let p = props(text, 32.0);
            let family = fonts
                .family(&p.font, &AssetResolver::default(), None)
                .unwrap();
            let mut buffer = Buffer::new(&mut fonts.system, Metrics::new(32.0, 38.4));
            let mut attrs = Attrs::new();
            attrs.family = Family::Name(&family);
            buffer.set_text(text, &attrs, Shaping::Advanced, None);
            buffer.shape_until_scroll(&mut fonts.system, false);
            let glyphs: Vec<_> = buffer
                .layout_runs()
                .flat_map(|r| r.glyphs.iter().map(|g| g.glyph_id))
                .collect();
            assert!(
                !glyphs.is_empty() && glyphs.iter().all(|&g| g != 0),
                "{text}: tofu {glyphs:?}"
            );
            let rtl = buffer.layout_runs().next().unwrap().rtl;
            assert_eq!(rtl, matches!(text, "مرحبا" | "שלום"), "{text}");
            assert!(ink(&render(&p, None)) > 50, "{text} has no ink");
        }
    }

    #[test]
    fn outline_shadow_and_background_add_ink_where_expected() {
        let plain = render(&props("Hi", 40.0), None);
        let mut p = props("Hi", 40.0);
        p.outline = Some(Outline {
            width: 3.0,
            color: Color::BLACK,
        });
        let outlined = render(&p, None);
        assert!(ink(&outlined) > ink(&plain));
        let (a, b) = (ink_columns(&plain), ink_columns(&outlined));
        assert!(
            b.0 <= a.0 - 2 && b.1 >= a.1 + 2,
            "outline widens the ink: {a:?} -> {b:?}"
        );
        let mut p = props("Hi", 40.0);
        p.shadow = Some(Shadow {
            dx: 10.0,
            dy: 10.0,
            blur: 4.0,
            color: Color::BLACK,
        });
        let shadowed = render(&p, None);
        assert!(shadowed.pixmap.width() >= plain.pixmap.width() + 10);
        let mut p = props("Hi", 40.0);
        p.background = Some(TextBackground {
            color: Color::rgba(255, 0, 0, 255),
            padding: 5.0,
            radius: 0.0,
        });
        let bg = render(&p, None);
        assert_eq!((bg.origin_x, bg.origin_y), (5, 5));
        assert_eq!(
            &bg.pixmap.data()[..4],
            &[255, 0, 0, 255],
            "padding corner is background"
        );
    }

    #[test]
    fn deterministic_and_font_errors() {
        let p = props("Same bytes", 30.0);
        assert_eq!(
            render(&p, None).pixmap.data(),
            render(&p, None).pixmap.data()
        );
        let mut fonts = FontLibrary::new(false);
        let e = fonts
            .family(
                &FontSpec::Family("No Such Font".into()),
                &AssetResolver::default(),
                None,
            )
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("font family `No Such Font` not found"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f.ttf"), dejavu::sans::bold()).unwrap();
        let assets = AssetResolver::new(dir.path());
        let fam = fonts
            .family(&FontSpec::File("f.ttf".into()), &assets, None)
            .unwrap();
        assert_eq!(fam, "DejaVu Sans");
        std::fs::write(dir.path().join("bad.ttf"), b"not a font").unwrap();
        let e = fonts
            .family(&FontSpec::File("bad.ttf".into()), &assets, None)
            .unwrap_err();
        assert!(matches!(e, AssetError::Decode { .. }), "{e}");
    }
}
