//! Text templates: `{time}`, `{time:FORMAT}`, `{date}`, `{elapsed}`, `{countdown:RFC3339}`,
//! `{frame}`, with `{{` and `}}` for literal braces. Parsed once when the layer is loaded;
//! expanded every frame against an explicit [`TemplateClock`], never the wall clock.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, format::StrftimeItems};

/// The instants a template is expanded against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TemplateClock {
    /// The wall-clock time of the frame, in the process's local offset.
    pub now: DateTime<FixedOffset>,
    /// Seconds since the stream or render started.
    pub elapsed: f64,
    /// The frame number.
    pub frame: u64,
}

impl TemplateClock {
    /// A clock for scene time `t` of a render that started at wall time `start`.
    pub fn at(start: DateTime<FixedOffset>, t: f64, fps: f64) -> TemplateClock {
        let nanos = (t.max(0.0) * 1e9).round() as i64;
        TemplateClock {
            now: start + chrono::Duration::nanoseconds(nanos),
            elapsed: t.max(0.0),
            frame: (t.max(0.0) * fps + 1e-6).floor() as u64,
        }
    }

    /// The process's local time now, for front ends (the core never calls it below `pipeline`).
    pub fn local_now() -> DateTime<FixedOffset> {
        chrono::Local::now().fixed_offset()
    }

    /// Reads a wall-clock start given by a user (`--clock-start`, `clock_start`): an RFC 3339
    /// time such as `2026-01-01T20:00:00Z` or `2026-01-01T20:00:00+01:00`. `{time}` then shows
    /// the clock in the offset given, so a render is the same on every machine.
    ///
    /// ```
    /// use streamcomp_core::scene::TemplateClock;
    /// let t = TemplateClock::parse_start("2026-01-01T20:00:00+01:00")?;
    /// assert_eq!(t.to_rfc3339(), "2026-01-01T20:00:00+01:00");
    /// let e = TemplateClock::parse_start("8pm").unwrap_err();
    /// assert!(e.contains("RFC 3339"), "{e}");
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse_start(s: &str) -> Result<DateTime<FixedOffset>, String> {
        DateTime::parse_from_rfc3339(s.trim()).map_err(|e| {
            format!(
                "must be an RFC 3339 time such as 2026-01-01T20:00:00Z or \
                 2026-01-01T20:00:00+01:00, got {s:?} ({e})"
            )
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Literal(String),
    Time(String),
    Elapsed,
    Countdown(DateTime<FixedOffset>),
    Frame,
}

/// A parsed text template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

fn valid_strftime(fmt: &str) -> bool {
    StrftimeItems::new(fmt).all(|item| !matches!(item, chrono::format::Item::Error))
}

fn hms(seconds: f64) -> String {
    let s = seconds.max(0.0).floor() as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

impl Template {
    /// Parses `text`, refusing unknown placeholders, bad formats and unbalanced braces.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    lit.push('}');
                }
                '}' => {
                    return Err(format!(
                        "unmatched `}}` at character {i}; write `}}}}` for a literal brace"
                    ));
                }
                '{' => {
                    let rest = &text[i + 1..];
                    let end = rest.find('}').ok_or_else(|| {
                        format!("unclosed `{{` at character {i}; write `{{{{` for a literal brace")
                    })?;
                    let inner = &rest[..end];
                    for _ in 0..inner.chars().count() + 1 {
                        chars.next();
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut lit)));
                    }
                    parts.push(Self::placeholder(inner)?);
                }
                _ => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Literal(lit));
        }
        Ok(Template { parts })
    }

    fn placeholder(inner: &str) -> Result<Part, String> {
        let (name, arg) = match inner.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (inner, None),
        };
        match (name, arg) {
            ("time", None) => Ok(Part::Time("%H:%M:%S".into())),
            ("time", Some(f)) if valid_strftime(f) && !f.is_empty() => Ok(Part::Time(f.into())),
            ("time", Some(f)) => Err(format!("`{{time:{f}}}`: invalid strftime format")),
            ("date", None) => Ok(Part::Time("%Y-%m-%d".into())),
            ("elapsed", None) => Ok(Part::Elapsed),
            ("frame", None) => Ok(Part::Frame),
            ("countdown", Some(when)) => DateTime::parse_from_rfc3339(when.trim())
                .map(Part::Countdown)
                .map_err(|e| format!("`{{countdown:{when}}}`: not an RFC 3339 time ({e}), e.g. 2026-12-31T23:59:59Z")),
            ("countdown", None) => Err("`{countdown}` needs a target: {countdown:2026-12-31T23:59:59Z}".into()),
            _ => Err(format!(
                "unknown template `{{{inner}}}`; known: {{time}}, {{time:FORMAT}}, {{date}}, {{elapsed}}, {{countdown:RFC3339}}, {{frame}} (write `{{{{` for a literal brace)"
            )),
        }
    }

    /// True when the text has no placeholder (it never changes).
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// Expands the template into `out` (cleared first).
    pub fn expand_into(&self, clock: &TemplateClock, out: &mut String) {
        out.clear();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Time(f) => {
                    let _ = write!(out, "{}", clock.now.format(f));
                }
                Part::Elapsed => out.push_str(&hms(clock.elapsed)),
                Part::Countdown(when) => {
                    let left = (*when - clock.now).num_milliseconds() as f64 / 1000.0;
                    out.push_str(&hms(left.ceil()));
                }
                Part::Frame => {
                    let _ = write!(out, "{}", clock.frame);
                }
            }
        }
    }

    /// Expands the template into a new string.
    pub fn expand(&self, clock: &TemplateClock) -> String {
        let mut s = String::new();
        self.expand_into(clock, &mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> TemplateClock {
        let start = DateTime::parse_from_rfc3339("2026-11-24T10:00:00+01:00").unwrap();
        TemplateClock::at(start, 3725.5, 30.0)
    }

    #[test]
    fn expands_every_placeholder() {
        let t = Template::parse("{time} {date} {time:%H.%M} {elapsed} #{frame} {{x}}").unwrap();
        assert_eq!(
            t.expand(&clock()),
            "11:02:05 2026-11-24 11.02 01:02:05 #111765 {x}"
        );
        let c = Template::parse("{countdown:2026-11-24T11:03:00+01:00}").unwrap();
        assert_eq!(c.expand(&clock()), "00:00:55");
        let past = Template::parse("{countdown:2020-01-01T00:00:00Z}").unwrap();
        assert_eq!(past.expand(&clock()), "00:00:00");
        assert!(Template::parse("plain").unwrap().is_static());
    }

    #[test]
    fn refuses_bad_templates() {
        for bad in [
            "{nope}",
            "{time:%Q}",
            "a { b",
            "a } b",
            "{countdown:tomorrow}",
            "{countdown}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }
}
