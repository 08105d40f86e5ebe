//! The binary form iac's caches share (the parse cache of configuration files in
//! `iac-syntax`, the copy of a local state in `iac-state`). An entry is:
//! a magic number; the id of the build that wrote it; the whole text it stands
//! for; every string's bytes in one run (checked for UTF-8 once, not string by
//! string); then the caller's structure of varints, tags and string lengths.
//! [`Reader::open`] takes an entry only for exactly the same magic, build and
//! text, so a cache can never answer for a text or a build it was not made from;
//! every read of a damaged entry is `None`, never a panic or a huge allocation.

use std::io::Read;

/// Writes the caller's structure; [`Writer::finish`] makes the entry.
pub struct Writer {
    out: Vec<u8>,
    /// Every string's bytes in the order written (`out` has their lengths).
    strs: Vec<u8>,
}

impl Writer {
    /// A writer with room for about `n` bytes of structure and as many of strings.
    pub fn with_capacity(n: usize) -> Writer {
        Writer {
            out: Vec::with_capacity(n),
            strs: Vec::with_capacity(n),
        }
    }

    /// An unsigned number, 7 bits a byte.
    pub fn u(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }

    pub fn count(&mut self, n: usize) {
        self.u(n as u64);
    }

    pub fn tag(&mut self, t: u8) {
        self.out.push(t);
    }

    pub fn flag(&mut self, b: bool) {
        self.tag(u8::from(b));
    }

    /// Bytes as they are (a fixed-size field the reader takes by its size).
    pub fn raw(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    /// Bytes a function appends as they are (a field that says how long it is).
    pub fn raw_with(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        f(&mut self.out);
    }

    pub fn str(&mut self, s: &str) {
        self.count(s.len());
        self.strs.extend_from_slice(s.as_bytes());
    }

    /// The entry for `text`, written by the build `build`.
    pub fn finish(self, magic: &[u8], build: &str, text: &[u8]) -> Vec<u8> {
        let mut entry = Writer {
            out: Vec::with_capacity(
                magic.len() + build.len() + text.len() + self.strs.len() + self.out.len() + 32,
            ),
            strs: Vec::new(),
        };
        entry.raw(magic);
        for part in [build.as_bytes(), text, &self.strs] {
            entry.count(part.len());
            entry.raw(part);
        }
        entry.raw(&self.out);
        entry.out
    }
}

/// What follows the text of the entry `entry`, `entry_len` bytes long (0 when
/// not known; it only sizes the result), for [`Reader::after_text`], if the
/// entry was written by `build` with `magic` for exactly the bytes `text` yields.
/// The entry's copy of the text and `text` are read a buffer at a time and
/// compared as they go: neither is ever held whole (a large state's text is
/// megabytes), and a difference stops the reading where it is found.
pub fn read_after_text(
    mut entry: impl std::io::BufRead,
    entry_len: u64,
    magic: &[u8],
    build: &str,
    text: impl Read,
) -> Option<Vec<u8>> {
    let header = header_matches(&mut entry, magic, build, text)?;
    // Read into a buffer of the right size at once, not one grown (and copied)
    // while reading.
    let mut rest =
        Vec::with_capacity(usize::try_from(entry_len.saturating_sub(header)).unwrap_or(0) + 1);
    entry.read_to_end(&mut rest).ok()?;
    Some(rest)
}

/// Reads an entry's header from `entry`: its magic, build and text, which must
/// be `magic`, `build` and the bytes `text` yields (no more, no fewer). Its
/// length in bytes, when they are.
fn header_matches(
    entry: &mut impl Read,
    magic: &[u8],
    build: &str,
    mut text: impl Read,
) -> Option<u64> {
    const CHUNK: usize = 16 << 10;
    let (mut a, mut b) = ([0u8; CHUNK], [0u8; CHUNK]);
    let mut exact = |entry: &mut dyn Read, want: &[u8]| -> Option<()> {
        let got = a.get_mut(..want.len())?;
        entry.read_exact(got).ok()?;
        (got == want).then_some(())
    };
    exact(entry, magic)?;
    let (build_len, build_len_bytes) = read_u(entry)?;
    (build_len == build.len() as u64).then_some(())?;
    exact(entry, build.as_bytes())?;
    let (text_len, text_len_bytes) = read_u(entry)?;
    let mut left = text_len;
    while left > 0 {
        let n = CHUNK.min(usize::try_from(left).ok()?);
        entry.read_exact(&mut a[..n]).ok()?;
        text.read_exact(&mut b[..n]).ok()?;
        if a[..n] != b[..n] {
            return None;
        }
        left -= n as u64;
    }
    // The text ends where the entry's copy does.
    (text.read(&mut b[..1]).ok()? == 0).then_some(())?;
    Some(magic.len() as u64 + build_len_bytes + build_len + text_len_bytes + text_len)
}

/// An unsigned number as [`Writer::u`] writes it, from a stream, and how many
/// bytes it took.
fn read_u(r: &mut impl Read) -> Option<(u64, u64)> {
    let mut v = 0u64;
    for (i, shift) in (0..64).step_by(7).enumerate() {
        let mut byte = [0u8];
        r.read_exact(&mut byte).ok()?;
        v |= u64::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            return Some((v, i as u64 + 1));
        }
    }
    None
}

/// Reads what a [`Writer`] wrote, in the same order.
pub struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    /// Every string's bytes, checked for UTF-8 once, and how far they are read.
    strs: &'a str,
    sat: usize,
}

impl<'a> Reader<'a> {
    /// A reader of `entry` if it is one for exactly `text`, written by `build`
    /// with `magic`; `None` for any other entry.
    pub fn open(entry: &'a [u8], magic: &[u8], build: &str, text: &[u8]) -> Option<Reader<'a>> {
        let mut rest = entry;
        header_matches(&mut rest, magic, build, text)?;
        Reader::after_text(rest)
    }

    /// A reader of what follows an entry's text (as [`read_after_text`] returns it).
    pub fn after_text(b: &'a [u8]) -> Option<Reader<'a>> {
        let mut r = Reader {
            b,
            at: 0,
            strs: "",
            sat: 0,
        };
        r.strs = std::str::from_utf8(r.bytes()?).ok()?;
        Some(r)
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    /// What is left to read (for a field that says how long it is).
    pub fn rest(&self) -> &'a [u8] {
        &self.b[self.at..]
    }

    pub fn tag(&mut self) -> Option<u8> {
        let t = *self.b.get(self.at)?;
        self.at += 1;
        Some(t)
    }

    pub fn u(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.tag()?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    /// A count, never more than the bytes left could hold: a damaged length
    /// cannot allocate wildly.
    pub fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u()?).ok()?;
        (n <= self.b.len() - self.at).then_some(n)
    }

    pub fn flag(&mut self) -> Option<bool> {
        match self.tag()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.count()?;
        self.take(n)
    }

    pub fn str(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.u()?).ok()?;
        let end = self.sat.checked_add(n)?;
        let s = self.strs.get(self.sat..end)?;
        self.sat = end;
        Some(s)
    }

    /// Whether everything written was read: an entry with more is not one.
    pub fn done(&self) -> bool {
        self.at == self.b.len() && self.sat == self.strs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_across_the_one_byte_boundary() {
        let values = [0, 1, 127, 128, 255, 16_383, 16_384, 1 << 35, u64::MAX];
        let mut w = Writer::with_capacity(64);
        for v in values {
            w.u(v);
        }
        let entry = w.finish(b"MAGIC", "b1", b"");
        let mut r = Reader::open(&entry, b"MAGIC", "b1", b"").unwrap();
        for v in values {
            assert_eq!(r.u(), Some(v));
        }
        assert!(r.done());
        assert_eq!(r.u(), None);
    }

    #[test]
    fn an_entry_reads_back_only_for_its_text_and_build() {
        let mut w = Writer::with_capacity(16);
        w.u(300);
        w.str("héllo");
        w.flag(true);
        w.raw(&[9, 9]);
        w.str("");
        let entry = w.finish(b"MAGIC", "b1", b"text");
        let mut r = Reader::open(&entry, b"MAGIC", "b1", b"text").unwrap();
        assert_eq!(r.u(), Some(300));
        assert_eq!(r.str(), Some("héllo"));
        assert_eq!(r.flag(), Some(true));
        assert_eq!(r.take(2), Some(&[9u8, 9][..]));
        assert_eq!(r.str(), Some(""));
        assert!(r.done());
        assert!(Reader::open(&entry, b"MAGIC", "b2", b"text").is_none());
        assert!(Reader::open(&entry, b"MAGIC", "b1", b"other").is_none());
        assert!(Reader::open(&entry, b"OTHER", "b1", b"text").is_none());
        for cut in 0..entry.len() {
            if let Some(mut r) = Reader::open(&entry[..cut], b"MAGIC", "b1", b"text") {
                let all = (|| Some((r.u()?, r.str()?, r.flag()?, r.take(2)?, r.str()?)))();
                assert!(all.is_none() || !r.done(), "{cut}");
            }
        }
    }
    #[test]
    fn an_entry_read_from_streams_is_taken_only_for_its_whole_text() {
        // Longer than a buffer, so the text is compared in several pieces.
        let text: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        let mut w = Writer::with_capacity(16);
        w.u(7);
        w.str("s");
        let entry = w.finish(b"MAGIC", "b1", &text);
        let tail =
            read_after_text(&entry[..], entry.len() as u64, b"MAGIC", "b1", &text[..]).unwrap();
        let mut r = Reader::after_text(&tail).unwrap();
        assert_eq!((r.u(), r.str()), (Some(7), Some("s")));
        assert!(r.done());
        // The header's length (which sizes the tail's buffer) is counted right.
        assert_eq!(
            header_matches(&mut &entry[..], b"MAGIC", "b1", &text[..]),
            Some((entry.len() - tail.len()) as u64)
        );
        let mut changed = text.clone();
        changed[30_000] ^= 1;
        let mut longer = text.clone();
        longer.push(0);
        for other in [&changed[..], &text[..39_999], &longer[..]] {
            assert!(
                read_after_text(&entry[..], entry.len() as u64, b"MAGIC", "b1", other).is_none()
            );
        }
        assert!(
            read_after_text(&entry[..], entry.len() as u64, b"MAGIC", "b2", &text[..]).is_none()
        );
        // A cut entry is a miss or reads short, never a panic.
        for cut in (0..entry.len()).step_by(97) {
            if let Some(tail) =
                read_after_text(&entry[..cut], cut as u64, b"MAGIC", "b1", &text[..])
            {
                let ok = Reader::after_text(&tail)
                    .and_then(|mut r| Some((r.u()?, r.str()?.len(), r.done())));
                assert!(
                    ok.is_none_or(|(_, _, done)| !done) || cut == entry.len(),
                    "{cut}"
                );
            }
        }
    }
}
