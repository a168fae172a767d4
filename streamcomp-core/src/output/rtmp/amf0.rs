//! A tolerant AMF0 reader for what RTMP servers send us: every AMF0 type (numbers, booleans,
//! strings and long strings, objects, ECMA and strict arrays, dates, typed objects, XML, null,
//! undefined, references), with limits on depth and value count, and never a panic.
//!
//! Values come out as [`Amf0Value`]s: ECMA arrays and typed objects as objects, dates as their
//! number of milliseconds, long strings and XML as strings, references and unsupported values
//! as `Undefined`. Reading stops at the first value it cannot read (a truncated one, an unknown
//! marker, the switch to AMF3): the values before it are kept and the reason is reported, so a
//! command whose last argument is odd still has its name and transaction id.

use std::collections::HashMap;

use rml_amf0::Amf0Value;

/// Deepest nesting of objects and arrays read.
const MAX_DEPTH: usize = 16;
/// Most values (nested ones included) read from one message.
const MAX_VALUES: usize = 4096;

/// What [`read_all`] found.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Decoded {
    /// The values read, in order.
    pub(crate) values: Vec<Amf0Value>,
    /// Why reading stopped before the end, if it did.
    pub(crate) stopped: Option<String>,
}

/// Reads AMF0 values until the end of `data` or the first value that cannot be read.
pub(crate) fn read_all(data: &[u8]) -> Decoded {
    let mut r = Reader {
        data,
        pos: 0,
        count: 0,
    };
    let mut out = Decoded::default();
    while r.pos < data.len() {
        match r.value(0) {
            Ok(Some(v)) => out.values.push(v),
            // An object-end marker at the top level: nothing to keep.
            Ok(None) => {}
            Err(e) => {
                out.stopped = Some(format!("{e} at byte {}", r.pos));
                break;
            }
        }
    }
    out
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    count: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.data.len())
            .ok_or_else(|| "a truncated value".to_string())?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<usize, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]) as usize)
    }

    fn u32(&mut self) -> Result<usize, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn f64(&mut self) -> Result<f64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_be_bytes(a))
    }

    fn string(&mut self, len: usize) -> Result<String, String> {
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }

    /// One value; `None` for an object-end marker.
    fn value(&mut self, depth: usize) -> Result<Option<Amf0Value>, String> {
        self.count += 1;
        if self.count > MAX_VALUES {
            return Err(format!("more than {MAX_VALUES} values"));
        }
        let marker = self.u8()?;
        let v = match marker {
            0x00 => Amf0Value::Number(self.f64()?),
            0x01 => Amf0Value::Boolean(self.u8()? != 0),
            0x02 => {
                let n = self.u16()?;
                Amf0Value::Utf8String(self.string(n)?)
            }
            0x03 => Amf0Value::Object(self.properties(depth)?),
            0x05 => Amf0Value::Null,
            0x06 | 0x0d => Amf0Value::Undefined,
            0x07 => {
                self.u16()?;
                Amf0Value::Undefined
            }
            0x08 => {
                self.u32()?; // the count is a hint; the end marker ends it
                Amf0Value::Object(self.properties(depth)?)
            }
            0x09 => return Ok(None),
            0x0a => {
                let n = self.u32()?;
                if depth >= MAX_DEPTH {
                    return Err(format!("nested deeper than {MAX_DEPTH}"));
                }
                // Every value takes at least one byte: a count past the end is a lie.
                if n > self.data.len() - self.pos {
                    return Err(format!("a strict array of {n} values"));
                }
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?.unwrap_or(Amf0Value::Undefined));
                }
                Amf0Value::StrictArray(items)
            }
            0x0b => {
                let ms = self.f64()?;
                self.take(2)?; // time zone, unused by everyone
                Amf0Value::Number(ms)
            }
            0x0c | 0x0f => {
                let n = self.u32()?;
                Amf0Value::Utf8String(self.string(n)?)
            }
            0x10 => {
                let n = self.u16()?;
                self.take(n)?; // class name
                Amf0Value::Object(self.properties(depth)?)
            }
            0x11 => return Err("an AMF3 value".into()),
            m => return Err(format!("unknown AMF0 marker 0x{m:02x}")),
        };
        Ok(Some(v))
    }

    /// Key/value pairs up to the empty key and object-end marker.
    fn properties(&mut self, depth: usize) -> Result<HashMap<String, Amf0Value>, String> {
        if depth >= MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH}"));
        }
        let mut map = HashMap::new();
        loop {
            let n = self.u16()?;
            if n == 0 {
                // Normally followed by the end marker; tolerate its absence at the very end.
                if self.pos < self.data.len() && self.data[self.pos] == 0x09 {
                    self.pos += 1;
                }
                return Ok(map);
            }
            let key = self.string(n)?;
            let v = self.value(depth + 1)?.unwrap_or(Amf0Value::Undefined);
            map.insert(key, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ser(values: &[Amf0Value]) -> Vec<u8> {
        rml_amf0::serialize(&values.to_vec()).unwrap()
    }

    #[test]
    fn reads_what_rml_amf0_writes() {
        let values = vec![
            Amf0Value::Utf8String("_result".into()),
            Amf0Value::Number(1.0),
            Amf0Value::Null,
            Amf0Value::Object(HashMap::from([
                ("code".to_string(), Amf0Value::Utf8String("X".into())),
                (
                    "list".to_string(),
                    Amf0Value::StrictArray(vec![Amf0Value::Boolean(true), Amf0Value::Undefined]),
                ),
            ])),
        ];
        let d = read_all(&ser(&values));
        assert_eq!(d.values, values);
        assert_eq!(d.stopped, None);
    }

    #[test]
    fn keeps_the_values_before_an_unreadable_one() {
        let mut data = ser(&[
            Amf0Value::Utf8String("onBWDone".into()),
            Amf0Value::Number(0.0),
        ]);
        data.extend_from_slice(&[0x11, 0x0a, 0x0b]); // AMF3 from here on
        let d = read_all(&data);
        assert_eq!(d.values.len(), 2);
        assert!(d.stopped.unwrap().contains("AMF3"));
        // A lone name, as FFmpeg's listener sends `onFCPublish`.
        let d = read_all(&ser(&[Amf0Value::Utf8String("onFCPublish".into())]));
        assert_eq!(d.values, [Amf0Value::Utf8String("onFCPublish".into())]);
    }

    #[test]
    fn reads_ecma_arrays_dates_and_typed_objects() {
        let mut data = vec![0x08, 0, 0, 0, 9]; // count says 9, the end marker says 1
        data.extend_from_slice(&[0, 1, b'a', 0x00]);
        data.extend_from_slice(&2.5f64.to_be_bytes());
        data.extend_from_slice(&[0, 0, 0x09]);
        data.push(0x0b);
        data.extend_from_slice(&1e12f64.to_be_bytes());
        data.extend_from_slice(&[0, 0]);
        data.extend_from_slice(&[0x10, 0, 1, b'T', 0, 0, 0x09]);
        let d = read_all(&data);
        assert_eq!(d.stopped, None, "{d:?}");
        assert_eq!(
            d.values,
            [
                Amf0Value::Object(HashMap::from([("a".to_string(), Amf0Value::Number(2.5))])),
                Amf0Value::Number(1e12),
                Amf0Value::Object(HashMap::new()),
            ]
        );
    }

    #[test]
    fn limits_hold_without_panics() {
        // Deep nesting, a huge array count, long-string lengths past the end, garbage.
        let deep: Vec<u8> = std::iter::repeat_n([0x0a, 0, 0, 0, 1], 10_000)
            .flatten()
            .collect();
        assert!(read_all(&deep).stopped.unwrap().contains("deeper"));
        assert!(read_all(&[0x0a, 0xff, 0xff, 0xff, 0xff]).stopped.is_some());
        assert!(
            read_all(&[0x0c, 0xff, 0xff, 0xff, 0xff, 1])
                .stopped
                .is_some()
        );
        let mut rng = 0x9e37_79b9_u64;
        for _ in 0..2000 {
            let len = (rng % 64) as usize;
            let bytes: Vec<u8> = crate::output::rtmp::noise(&mut rng, len)
                .into_iter()
                .map(|b| b % 20)
                .collect();
            let _ = read_all(&bytes);
        }
    }
}
