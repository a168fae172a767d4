//! The options after `?` in an output target (`out/index.m3u8?list_size=6`,
//! `srt://host:9000?mode=listener`): split, percent-decoded, each taken once, and every one
//! left over named in an error.

use super::OutputError;

/// The options of one target, taken one by one; [`Query::finish`] refuses what was not taken.
#[derive(Debug)]
pub(crate) struct Query {
    /// What the options belong to, for errors (`HLS output`, `SRT output`).
    what: &'static str,
    pairs: Vec<(String, String)>,
}

/// Percent-decodes `s` into text.
fn decode(s: &str) -> Result<String, String> {
    let bytes = crate::assets::fetch::decode_percent(s).map_err(|e| format!("`{s}`: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("`{s}` is not UTF-8 once decoded"))
}

impl Query {
    /// Splits `target` at its first `?`: the part before, and the options after.
    pub(crate) fn split<'a>(
        target: &'a str,
        what: &'static str,
    ) -> Result<(&'a str, Query), OutputError> {
        let (base, q) = target.split_once('?').unwrap_or((target, ""));
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let k = decode(k).map_err(|m| bad(what, &m))?;
            let v = decode(v).map_err(|m| bad(what, &m))?;
            if pairs.iter().any(|(o, _)| *o == k) {
                return Err(bad(what, &format!("option `{k}` is given twice")));
            }
            pairs.push((k, v));
        }
        Ok((base, Query { what, pairs }))
    }

    /// Takes the option `key`, if given.
    pub(crate) fn take(&mut self, key: &str) -> Option<String> {
        let i = self.pairs.iter().position(|(k, _)| k == key)?;
        Some(self.pairs.remove(i).1)
    }

    /// Takes the whole number `key` in `range`, if given.
    pub(crate) fn number(
        &mut self,
        key: &str,
        range: std::ops::RangeInclusive<u64>,
        unit: &str,
    ) -> Result<Option<u64>, OutputError> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        match v.trim().parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(self.error(&format!(
                "`{key}` must be a whole number of {unit} from {} to {}, got `{v}`",
                range.start(),
                range.end()
            ))),
        }
    }

    /// An error about these options.
    pub(crate) fn error(&self, message: &str) -> OutputError {
        bad(self.what, message)
    }

    /// Refuses options nobody took, naming them and what is known (`known`).
    pub(crate) fn finish(self, known: &[&str]) -> Result<(), OutputError> {
        match self.pairs.first() {
            None => Ok(()),
            Some((k, _)) => Err(bad(
                self.what,
                &format!("unknown option `{k}` (it takes: {})", known.join(", ")),
            )),
        }
    }
}

fn bad(what: &str, message: &str) -> OutputError {
    OutputError::Unsupported(format!("{what}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_split_decoded_and_checked() {
        let (base, mut q) = Query::split("a/b.m3u8?list_size=6&x=a%20b%26c", "HLS output").unwrap();
        assert_eq!(base, "a/b.m3u8");
        assert_eq!(q.number("list_size", 1..=100, "segments").unwrap(), Some(6));
        assert_eq!(q.take("x").as_deref(), Some("a b&c"));
        assert!(q.finish(&[]).is_ok());
        let (_, mut q) = Query::split("p?list_size=0", "HLS output").unwrap();
        let e = q.number("list_size", 1..=100, "segments").unwrap_err();
        assert!(e.to_string().contains("list_size"), "{e}");
        let (_, mut q) = Query::split("p?list_size=1e308", "HLS output").unwrap();
        assert!(q.number("list_size", 1..=100, "segments").is_err());
        let (_, q) = Query::split("p?nope=1", "HLS output").unwrap();
        let e = q.finish(&["list_size"]).unwrap_err().to_string();
        assert!(
            e.contains("unknown option `nope`") && e.contains("list_size"),
            "{e}"
        );
        assert!(Query::split("p?a=1&a=2", "x").is_err());
        assert!(Query::split("p?a=%zz", "x").is_err());
        assert!(Query::split("p?a=%ff", "x").is_err());
    }
}
