//! Animations (keyframe-free from/to tweens with repeat and alternate), live transitions and
//! fade-outs, and the sampling of a layer's animated properties at a scene time.

use super::easing::Easing;

/// A numeric layer property that animations and transitions can drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Property {
    /// Left of the box.
    X,
    /// Top of the box.
    Y,
    /// Box width.
    Width,
    /// Box height.
    Height,
    /// Rotation in degrees.
    Rotation,
    /// Both scales at once.
    Scale,
    /// Horizontal scale.
    ScaleX,
    /// Vertical scale.
    ScaleY,
    /// Opacity 0–1.
    Opacity,
}

impl Property {
    /// Every property, in the scene format's order.
    pub const ALL: [Property; 9] = [
        Property::X,
        Property::Y,
        Property::Width,
        Property::Height,
        Property::Rotation,
        Property::Scale,
        Property::ScaleX,
        Property::ScaleY,
        Property::Opacity,
    ];

    /// The property's name in the scene format.
    pub fn name(self) -> &'static str {
        match self {
            Property::X => "x",
            Property::Y => "y",
            Property::Width => "width",
            Property::Height => "height",
            Property::Rotation => "rotation",
            Property::Scale => "scale",
            Property::ScaleX => "scale_x",
            Property::ScaleY => "scale_y",
            Property::Opacity => "opacity",
        }
    }

    /// The property named `name`, if any.
    pub fn from_name(name: &str) -> Option<Property> {
        Property::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A tween of one property, relative to when its layer appeared.
#[derive(Clone, Debug, PartialEq)]
pub struct Animation {
    /// What moves.
    pub property: Property,
    /// Start value; `None`: the layer's own value.
    pub from: Option<f64>,
    /// End value; `None`: the layer's own value.
    pub to: Option<f64>,
    /// Seconds after the layer appeared. Default: 0.
    pub start: f64,
    /// Seconds per cycle (> 0).
    pub duration: f64,
    /// Default: linear.
    pub easing: Easing,
    /// Extra cycles after the first; -1 forever. Default: 0.
    pub repeat: i64,
    /// Every other cycle runs backwards. Default: false.
    pub alternate: bool,
}

impl Animation {
    /// The value at `local` seconds after the layer appeared, with `own` the layer's own value.
    pub fn value_at(&self, local: f64, own: f64) -> f64 {
        let from = self.from.unwrap_or(own);
        let to = self.to.unwrap_or(own);
        if local < self.start {
            return from;
        }
        let elapsed = local - self.start;
        let mut cycle = (elapsed / self.duration).floor();
        let mut p = elapsed / self.duration - cycle;
        if self.repeat >= 0 {
            let cycles = (self.repeat + 1) as f64;
            if cycle >= cycles {
                cycle = cycles - 1.0;
                p = 1.0;
            }
        }
        let backwards = self.alternate && (cycle as i64) % 2 == 1;
        let directed = if backwards { 1.0 - p } else { p };
        from + (to - from) * self.easing.apply(directed)
    }

    /// True once the animation has reached its final value for good.
    pub fn finished_at(&self, local: f64) -> bool {
        self.repeat >= 0 && local >= self.start + self.duration * (self.repeat + 1) as f64
    }
}

/// A live change of one property moving from its old value to the layer's new value.
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveTransition {
    /// What moves (never `Scale`: it is split into `ScaleX` and `ScaleY`).
    pub property: Property,
    /// The value shown when the change was made.
    pub from: f64,
    /// Scene time of the change, seconds.
    pub start: f64,
    /// Seconds the change takes.
    pub duration: f64,
    /// Easing of the change.
    pub easing: Easing,
}

impl ActiveTransition {
    /// Blends from `from` to `target` at scene time `t`.
    pub fn value_at(&self, t: f64, target: f64) -> f64 {
        if self.duration <= 0.0 || t >= self.start + self.duration {
            return target;
        }
        let p = ((t - self.start) / self.duration).max(0.0);
        self.from + (target - self.from) * self.easing.apply(p)
    }
}

/// A layer fading out before it is removed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FadeOut {
    /// Scene time the fade began, seconds.
    pub start: f64,
    /// Seconds until the layer is gone.
    pub duration: f64,
}

impl FadeOut {
    /// The opacity factor at scene time `t` (1 → 0).
    pub fn factor(&self, t: f64) -> f64 {
        if self.duration <= 0.0 {
            return 0.0;
        }
        (1.0 - (t - self.start) / self.duration).clamp(0.0, 1.0)
    }

    /// True when the layer has faded out completely at `t`.
    pub fn done(&self, t: f64) -> bool {
        t >= self.start + self.duration
    }
}

/// A layer's numeric properties at one instant, after animations, transitions and fades.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampled {
    /// Left of the box, px.
    pub x: f64,
    /// Top of the box, px.
    pub y: f64,
    /// Box width, px (`None`: natural size).
    pub width: Option<f64>,
    /// Box height, px (`None`: natural size).
    pub height: Option<f64>,
    /// Degrees clockwise.
    pub rotation: f64,
    /// Horizontal scale.
    pub scale_x: f64,
    /// Vertical scale.
    pub scale_y: f64,
    /// 0–1.
    pub opacity: f64,
}

impl Sampled {
    /// The value of one property (`Scale` reads `scale_x`; a natural size reads 0).
    pub fn get(&self, p: Property) -> f64 {
        match p {
            Property::X => self.x,
            Property::Y => self.y,
            Property::Width => self.width.unwrap_or(0.0),
            Property::Height => self.height.unwrap_or(0.0),
            Property::Rotation => self.rotation,
            Property::Scale | Property::ScaleX => self.scale_x,
            Property::ScaleY => self.scale_y,
            Property::Opacity => self.opacity,
        }
    }

    /// Sets one property; `Scale` sets both scales.
    pub fn set(&mut self, p: Property, v: f64) {
        match p {
            Property::X => self.x = v,
            Property::Y => self.y = v,
            Property::Width => self.width = Some(v.max(0.0)),
            Property::Height => self.height = Some(v.max(0.0)),
            Property::Rotation => self.rotation = v,
            Property::Scale => {
                self.scale_x = v;
                self.scale_y = v;
            }
            Property::ScaleX => self.scale_x = v,
            Property::ScaleY => self.scale_y = v,
            Property::Opacity => self.opacity = v.clamp(0.0, 1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anim(repeat: i64, alternate: bool) -> Animation {
        Animation {
            property: Property::X,
            from: Some(0.0),
            to: Some(100.0),
            start: 1.0,
            duration: 2.0,
            easing: Easing::Linear,
            repeat,
            alternate,
        }
    }

    #[test]
    fn holds_from_before_start_and_end_after() {
        let a = anim(0, false);
        assert_eq!(a.value_at(0.0, 5.0), 0.0);
        assert_eq!(a.value_at(2.0, 5.0), 50.0);
        assert_eq!(a.value_at(3.0, 5.0), 100.0);
        assert_eq!(a.value_at(99.0, 5.0), 100.0);
        assert!(a.finished_at(3.0));
    }

    #[test]
    fn repeats_and_alternates() {
        let a = anim(1, true);
        assert_eq!(a.value_at(2.0, 0.0), 50.0);
        assert_eq!(a.value_at(4.0, 0.0), 50.0); // second cycle runs backwards
        assert_eq!(a.value_at(4.5, 0.0), 25.0);
        assert_eq!(a.value_at(10.0, 0.0), 0.0); // ends where the backwards cycle ends
        let forever = anim(-1, false);
        assert_eq!(forever.value_at(1002.0, 0.0), 50.0);
        assert!(!forever.finished_at(1e9));
    }

    #[test]
    fn defaults_to_own_value() {
        let a = Animation {
            from: None,
            ..anim(0, false)
        };
        assert_eq!(a.value_at(0.0, 40.0), 40.0);
        assert_eq!(a.value_at(2.0, 40.0), 70.0);
    }
}
