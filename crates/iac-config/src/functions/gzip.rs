//! gzip as Terraform's `base64gzip` writes it, byte for byte: Go's
//! `compress/gzip` over `compress/flate` at the default level (6), written,
//! flushed and closed. Any valid gzip decompresses to the same text, but a
//! `user_data` made with `base64gzip` is compared with what Terraform stored,
//! so other (equally valid) bytes would be a change to the instance.
//!
//! The matcher (hash chains of four bytes, lazy matching with Go's level-6
//! limits), the length-limited Huffman codes, and the choice among stored,
//! fixed and dynamic blocks follow Go's compressor as of Go 1.23 (what
//! Terraform 1.11 is built with); the tests compare with bytes Terraform wrote.

const WINDOW: usize = 1 << 15;
const WINDOW_MASK: usize = WINDOW - 1;
const MIN_MATCH: usize = 4;
const MAX_MATCH: usize = 258;
const BASE_MATCH: usize = 3;
const MAX_BLOCK_TOKENS: usize = 1 << 14;
const MAX_STORED: usize = 65535;
const HASH_BITS: u32 = 17;
const HASH_MASK: u32 = (1 << HASH_BITS) - 1;
const MAX_HASH_OFFSET: usize = 1 << 24;
// Level 6.
const GOOD: usize = 8;
const LAZY: usize = 16;
const NICE: usize = 128;
const CHAIN: usize = 128;

const MATCH_TYPE: u32 = 1 << 30;
const END_BLOCK: u32 = 256;
const LENGTH_CODES_START: usize = 257;
const NUM_LIT: usize = 286;
const OFFSET_CODES: usize = 30;
const CODEGEN_CODES: usize = 19;
const BAD_CODE: u8 = 255;

const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const LENGTH_BASE: [u32; 29] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224, 255,
];
const OFFSET_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
const OFFSET_BASE: [u32; 30] = [
    0x0, 0x1, 0x2, 0x3, 0x4, 0x6, 0x8, 0xc, 0x10, 0x18, 0x20, 0x30, 0x40, 0x60, 0x80, 0xc0, 0x100,
    0x180, 0x200, 0x300, 0x400, 0x600, 0x800, 0xc00, 0x1000, 0x1800, 0x2000, 0x3000, 0x4000,
    0x6000,
];
const CODEGEN_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// `text` gzipped as Go writes it (header without name or time, OS unknown).
pub fn gzip(text: &[u8]) -> Vec<u8> {
    let mut d = Deflater::new();
    d.write(text);
    d.sync_flush();
    d.close();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&d.w.out);
    out.extend_from_slice(&crc32(text).to_le_bytes());
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn hash4(b: &[u8]) -> u32 {
    let v = u32::from(b[3]) | u32::from(b[2]) << 8 | u32::from(b[1]) << 16 | u32::from(b[0]) << 24;
    v.wrapping_mul(0x1e35_a7bd) >> (32 - HASH_BITS)
}

fn length_code(len: u32) -> usize {
    // `len` is the match length less 3 (0..=255); 258 has a code of its own.
    if len == 255 {
        return 28;
    }
    (0..28).rev().find(|&c| LENGTH_BASE[c] <= len).unwrap_or(0)
}

fn offset_code(off: u32) -> usize {
    // `off` is the distance less 1.
    (0..30).rev().find(|&c| OFFSET_BASE[c] <= off).unwrap_or(0)
}

struct Deflater {
    w: BitWriter,
    window: Vec<u8>,
    hash_head: Vec<u32>,
    hash_prev: Vec<u32>,
    hash_offset: usize,
    chain_head: i64,
    index: usize,
    window_end: usize,
    /// Where the current block's tokens start; `None` once slid out.
    block_start: Option<usize>,
    byte_available: bool,
    tokens: Vec<u32>,
    length: usize,
    offset: usize,
    max_insert_index: usize,
    sync: bool,
}

impl Deflater {
    fn new() -> Deflater {
        Deflater {
            w: BitWriter::default(),
            window: vec![0; 2 * WINDOW],
            hash_head: vec![0; 1 << HASH_BITS],
            hash_prev: vec![0; WINDOW],
            hash_offset: 1,
            chain_head: -1,
            index: 0,
            window_end: 0,
            block_start: Some(0),
            byte_available: false,
            tokens: Vec::with_capacity(MAX_BLOCK_TOKENS + 1),
            length: MIN_MATCH - 1,
            offset: 0,
            max_insert_index: 0,
            sync: false,
        }
    }

    fn write(&mut self, mut b: &[u8]) {
        while !b.is_empty() {
            self.deflate();
            let n = self.fill(b);
            b = &b[n..];
        }
    }

    fn sync_flush(&mut self) {
        self.sync = true;
        self.deflate();
        self.w.stored_header(0, false);
        self.w.flush();
        self.sync = false;
    }

    fn close(&mut self) {
        self.sync = true;
        self.deflate();
        self.w.stored_header(0, true);
        self.w.flush();
    }

    fn fill(&mut self, b: &[u8]) -> usize {
        if self.index >= 2 * WINDOW - (MIN_MATCH + MAX_MATCH) {
            self.window.copy_within(WINDOW..2 * WINDOW, 0);
            self.index -= WINDOW;
            self.window_end -= WINDOW;
            self.block_start = match self.block_start {
                Some(s) if s >= WINDOW => Some(s - WINDOW),
                _ => None,
            };
            self.hash_offset += WINDOW;
            if self.hash_offset > MAX_HASH_OFFSET {
                let delta = self.hash_offset - 1;
                self.hash_offset -= delta;
                self.chain_head -= delta as i64;
                for v in self.hash_prev.iter_mut().chain(self.hash_head.iter_mut()) {
                    *v = if *v as usize > delta {
                        (*v as usize - delta) as u32
                    } else {
                        0
                    };
                }
            }
        }
        let n = b.len().min(self.window.len() - self.window_end);
        self.window[self.window_end..self.window_end + n].copy_from_slice(&b[..n]);
        self.window_end += n;
        n
    }

    fn write_block(&mut self, index: usize) {
        if index > 0 {
            let input = match self.block_start {
                Some(s) if s <= index => Some(self.window[s..index].to_vec()),
                _ => None,
            };
            self.block_start = Some(index);
            let tokens = std::mem::take(&mut self.tokens);
            self.w.block(&tokens, false, input.as_deref());
            self.tokens = tokens;
        }
        self.tokens.clear();
    }

    fn insert(&mut self, at: usize) {
        let h = (hash4(&self.window[at..at + MIN_MATCH]) & HASH_MASK) as usize;
        self.hash_prev[at & WINDOW_MASK] = self.hash_head[h];
        self.hash_head[h] = (at + self.hash_offset) as u32;
    }

    fn deflate(&mut self) {
        if self.window_end - self.index < MIN_MATCH + MAX_MATCH && !self.sync {
            return;
        }
        self.max_insert_index = self.window_end.saturating_sub(MIN_MATCH - 1);
        loop {
            let lookahead = self.window_end - self.index;
            if lookahead < MIN_MATCH + MAX_MATCH {
                if !self.sync {
                    return;
                }
                if lookahead == 0 {
                    if self.byte_available {
                        self.tokens.push(u32::from(self.window[self.index - 1]));
                        self.byte_available = false;
                    }
                    if !self.tokens.is_empty() {
                        self.write_block(self.index);
                    }
                    return;
                }
            }
            if self.index < self.max_insert_index {
                // The chain's previous head is where this position now links.
                self.insert(self.index);
                self.chain_head = i64::from(self.hash_prev[self.index & WINDOW_MASK]);
            }
            let prev_length = self.length;
            let prev_offset = self.offset;
            self.length = MIN_MATCH - 1;
            self.offset = 0;
            let min_index = self.index.saturating_sub(WINDOW) as i64;
            let head = self.chain_head - self.hash_offset as i64;
            if head >= min_index && lookahead > prev_length && prev_length < LAZY {
                if let Some((len, off)) = self.find_match(self.index, head, lookahead) {
                    self.length = len;
                    self.offset = off;
                }
            }
            if prev_length >= MIN_MATCH && self.length <= prev_length {
                // The previous match is at least as good: emit it.
                self.tokens.push(
                    MATCH_TYPE
                        | ((prev_length - BASE_MATCH) as u32) << 22
                        | (prev_offset - 1) as u32,
                );
                let new_index = self.index + prev_length - 1;
                self.index += 1;
                while self.index < new_index {
                    if self.index < self.max_insert_index {
                        self.insert(self.index);
                    }
                    self.index += 1;
                }
                self.byte_available = false;
                self.length = MIN_MATCH - 1;
                if self.tokens.len() == MAX_BLOCK_TOKENS {
                    self.write_block(self.index);
                }
            } else {
                if self.byte_available {
                    let i = self.index - 1;
                    self.tokens.push(u32::from(self.window[i]));
                    if self.tokens.len() == MAX_BLOCK_TOKENS {
                        self.write_block(i + 1);
                    }
                }
                self.index += 1;
                self.byte_available = true;
            }
        }
    }

    /// The longest match at `pos` (longer than three bytes) along the hash
    /// chain from `head`, as Go's `findMatch` walks it.
    fn find_match(&self, pos: usize, head: i64, lookahead: usize) -> Option<(usize, usize)> {
        let look = lookahead.min(MAX_MATCH);
        let win = &self.window[..pos + look];
        let nice = look.min(NICE);
        let mut tries = CHAIN;
        let mut length = MIN_MATCH - 1;
        if length >= GOOD {
            tries >>= 2;
        }
        let mut w_end = win[pos + length];
        let min_index = pos as i64 - WINDOW as i64;
        let mut found = None;
        let mut i = head;
        while tries > 0 {
            let at = i as usize;
            if w_end == win[at + length] {
                let n = win[at..at + look]
                    .iter()
                    .zip(&win[pos..pos + look])
                    .take_while(|(a, b)| a == b)
                    .count();
                if n > length && (n > MIN_MATCH || pos - at <= 4096) {
                    length = n;
                    found = Some((n, pos - at));
                    if n >= nice {
                        break;
                    }
                    w_end = win[pos + n];
                }
            }
            if i == min_index {
                break;
            }
            i = i64::from(self.hash_prev[at & WINDOW_MASK]) - self.hash_offset as i64;
            if i < min_index || i < 0 {
                break;
            }
            tries -= 1;
        }
        found
    }
}

/// A Huffman code: each symbol's code (bits reversed, as written) and length.
#[derive(Clone)]
struct Code {
    code: Vec<u16>,
    len: Vec<u16>,
}

impl Code {
    fn new(n: usize) -> Code {
        Code {
            code: vec![0; n],
            len: vec![0; n],
        }
    }

    fn fixed_literals() -> Code {
        let mut c = Code::new(NUM_LIT);
        for ch in 0..NUM_LIT as u16 {
            let (bits, size) = match ch {
                0..=143 => (ch + 48, 8),
                144..=255 => (ch + 400 - 144, 9),
                256..=279 => (ch - 256, 7),
                _ => (ch + 192 - 280, 8),
            };
            c.code[ch as usize] = reverse(bits, size);
            c.len[ch as usize] = size;
        }
        c
    }

    fn fixed_offsets() -> Code {
        let mut c = Code::new(OFFSET_CODES);
        for i in 0..OFFSET_CODES {
            c.code[i] = reverse(i as u16, 5);
            c.len[i] = 5;
        }
        c
    }

    fn bit_length(&self, freq: &[i32]) -> usize {
        freq.iter()
            .enumerate()
            .filter(|(_, f)| **f != 0)
            .map(|(i, f)| *f as usize * self.len[i] as usize)
            .sum()
    }

    /// The length-limited code Go's `huffmanEncoder.generate` makes.
    fn generate(&mut self, freq: &[i32], max_bits: i32) {
        let mut list: Vec<(u16, i32)> = Vec::new();
        for (i, &f) in freq.iter().enumerate() {
            if f != 0 {
                list.push((i as u16, f));
            } else {
                self.len[i] = 0;
            }
        }
        if list.len() <= 2 {
            for (i, &(lit, _)) in list.iter().enumerate() {
                self.code[lit as usize] = i as u16;
                self.len[lit as usize] = 1;
            }
            return;
        }
        list.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let counts = bit_counts(&list, max_bits);
        let mut code: u16 = 0;
        let mut rest = list.as_slice();
        for (n, &bits) in counts.iter().enumerate() {
            code <<= 1;
            if n == 0 || bits == 0 {
                continue;
            }
            let (head, chunk) = rest.split_at(rest.len() - bits as usize);
            let mut chunk = chunk.to_vec();
            chunk.sort_by_key(|c| c.0);
            for (lit, _) in chunk {
                self.code[lit as usize] = reverse(code, n as u16);
                self.len[lit as usize] = n as u16;
                code = code.wrapping_add(1);
            }
            rest = head;
        }
    }
}

fn reverse(v: u16, bits: u16) -> u16 {
    (v << (16 - bits)).reverse_bits()
}

/// How many symbols get each length (Go's `bitCounts`, a package-merge by
/// levels): `list` is sorted by frequency and has at least three symbols.
fn bit_counts(list: &[(u16, i32)], max_bits: i32) -> Vec<i32> {
    #[derive(Clone, Copy, Default)]
    struct Level {
        level: i32,
        last_freq: i32,
        next_char_freq: i32,
        next_pair_freq: i32,
        needed: i32,
    }
    let n = list.len() as i32;
    let freq = |i: i32| {
        if i < n {
            list[i as usize].1
        } else {
            i32::MAX
        }
    };
    let max_bits = max_bits.min(n - 1);
    let mut levels = [Level::default(); 17];
    let mut leaf = [[0i32; 17]; 17];
    for level in 1..=max_bits {
        levels[level as usize] = Level {
            level,
            last_freq: freq(1),
            next_char_freq: freq(2),
            next_pair_freq: if level == 1 {
                i32::MAX
            } else {
                freq(0) + freq(1)
            },
            needed: 0,
        };
        leaf[level as usize][level as usize] = 2;
    }
    levels[max_bits as usize].needed = 2 * n - 4;
    let mut level = max_bits as usize;
    loop {
        let l = levels[level];
        if l.next_pair_freq == i32::MAX && l.next_char_freq == i32::MAX {
            levels[level].needed = 0;
            levels[level + 1].next_pair_freq = i32::MAX;
            level += 1;
            continue;
        }
        let prev_freq = l.last_freq;
        if l.next_char_freq < l.next_pair_freq {
            let k = leaf[level][level] + 1;
            levels[level].last_freq = l.next_char_freq;
            leaf[level][level] = k;
            levels[level].next_char_freq = freq(k);
        } else {
            levels[level].last_freq = l.next_pair_freq;
            let (lower, upper) = leaf.split_at_mut(level);
            upper[0][..level].copy_from_slice(&lower[level - 1][..level]);
            levels[l.level as usize - 1].needed = 2;
        }
        levels[level].needed -= 1;
        if levels[level].needed == 0 {
            if levels[level].level == max_bits {
                break;
            }
            levels[level + 1].next_pair_freq = prev_freq + levels[level].last_freq;
            level += 1;
        } else {
            while levels[level - 1].needed > 0 {
                level -= 1;
            }
        }
    }
    let mut counts = vec![0i32; max_bits as usize + 1];
    let top = &leaf[max_bits as usize];
    // A symbol at the top level of the chain takes the fewest bits.
    for (bits, level) in (1..).zip((1..=max_bits as usize).rev()) {
        counts[bits] = top[level] - top[level - 1];
    }
    counts
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    bits: u64,
    nbits: u32,
}

impl BitWriter {
    fn bits(&mut self, v: u32, n: u32) {
        self.bits |= u64::from(v) << self.nbits;
        self.nbits += n;
        while self.nbits >= 8 {
            self.out.push(self.bits as u8);
            self.bits >>= 8;
            self.nbits -= 8;
        }
    }

    /// Pads to a whole byte.
    fn flush(&mut self) {
        if self.nbits > 0 {
            self.out.push(self.bits as u8);
        }
        self.bits = 0;
        self.nbits = 0;
    }

    fn stored_header(&mut self, len: usize, eof: bool) {
        self.bits(u32::from(eof), 3);
        self.flush();
        self.bits(len as u32, 16);
        self.bits(u32::from(!(len as u16)), 16);
    }

    fn code(&mut self, c: &Code, sym: usize) {
        self.bits(u32::from(c.code[sym]), u32::from(c.len[sym]));
    }

    /// One block of tokens in the smallest of stored, fixed and dynamic
    /// encodings, as Go's `writeBlock` decides it.
    fn block(&mut self, tokens: &[u32], eof: bool, input: Option<&[u8]>) {
        let mut tokens = tokens.to_vec();
        tokens.push(END_BLOCK);
        let mut lit_freq = vec![0i32; NUM_LIT];
        let mut off_freq = vec![0i32; OFFSET_CODES];
        for &t in &tokens {
            if t < MATCH_TYPE {
                lit_freq[t as usize] += 1;
            } else {
                lit_freq[LENGTH_CODES_START + length_code((t >> 22) & 0xff)] += 1;
                off_freq[offset_code(t & ((1 << 22) - 1))] += 1;
            }
        }
        let mut num_lit = NUM_LIT;
        while lit_freq[num_lit - 1] == 0 {
            num_lit -= 1;
        }
        let mut num_off = OFFSET_CODES;
        while num_off > 0 && off_freq[num_off - 1] == 0 {
            num_off -= 1;
        }
        if num_off == 0 {
            off_freq[0] = 1;
            num_off = 1;
        }
        let mut lit = Code::new(NUM_LIT);
        lit.generate(&lit_freq, 15);
        let mut off = Code::new(OFFSET_CODES);
        off.generate(&off_freq, 15);

        let stored = input.filter(|i| i.len() <= MAX_STORED);
        let mut extra = 0usize;
        if stored.is_some() {
            for c in LENGTH_CODES_START + 8..num_lit {
                extra += lit_freq[c] as usize * LENGTH_EXTRA[c - LENGTH_CODES_START] as usize;
            }
            for c in 4..num_off {
                extra += off_freq[c] as usize * OFFSET_EXTRA[c] as usize;
            }
        }
        let fixed_lit = Code::fixed_literals();
        let fixed_off = Code::fixed_offsets();
        let fixed_size =
            3 + fixed_lit.bit_length(&lit_freq) + fixed_off.bit_length(&off_freq) + extra;

        let (codegen, cg_freq) = codegen(num_lit, num_off, &lit, &off);
        let mut cg = Code::new(CODEGEN_CODES);
        cg.generate(&cg_freq, 7);
        let mut num_cg = CODEGEN_CODES;
        while num_cg > 4 && cg_freq[CODEGEN_ORDER[num_cg - 1]] == 0 {
            num_cg -= 1;
        }
        let header = 3
            + 5
            + 5
            + 4
            + 3 * num_cg
            + cg.bit_length(&cg_freq)
            + cg_freq[16] as usize * 2
            + cg_freq[17] as usize * 3
            + cg_freq[18] as usize * 7;
        let dynamic_size = header + lit.bit_length(&lit_freq) + off.bit_length(&off_freq) + extra;

        let dynamic = dynamic_size < fixed_size;
        let size = fixed_size.min(dynamic_size);
        if let Some(input) = stored {
            if (input.len() + 5) * 8 < size {
                self.stored_header(input.len(), eof);
                self.out.extend_from_slice(input);
                return;
            }
        }
        let (lc, oc) = if dynamic {
            self.bits(if eof { 5 } else { 4 }, 3);
            self.bits((num_lit - 257) as u32, 5);
            self.bits((num_off - 1) as u32, 5);
            self.bits((num_cg - 4) as u32, 4);
            for &o in &CODEGEN_ORDER[..num_cg] {
                self.bits(u32::from(cg.len[o]), 3);
            }
            let mut i = 0;
            while codegen[i] != BAD_CODE {
                let w = codegen[i] as usize;
                i += 1;
                self.code(&cg, w);
                let extra_bits = match w {
                    16 => 2,
                    17 => 3,
                    18 => 7,
                    _ => 0,
                };
                if extra_bits > 0 {
                    self.bits(u32::from(codegen[i]), extra_bits);
                    i += 1;
                }
            }
            (&lit, &off)
        } else {
            self.bits(if eof { 3 } else { 2 }, 3);
            (&fixed_lit, &fixed_off)
        };
        for &t in &tokens {
            if t < MATCH_TYPE {
                self.code(lc, t as usize);
                continue;
            }
            let length = (t >> 22) & 0xff;
            let c = length_code(length);
            self.code(lc, c + LENGTH_CODES_START);
            if LENGTH_EXTRA[c] > 0 {
                self.bits(length - LENGTH_BASE[c], u32::from(LENGTH_EXTRA[c]));
            }
            let offset = t & ((1 << 22) - 1);
            let c = offset_code(offset);
            self.code(oc, c);
            if OFFSET_EXTRA[c] > 0 {
                self.bits(offset - OFFSET_BASE[c], u32::from(OFFSET_EXTRA[c]));
            }
        }
    }
}

/// The code lengths of both codes, run-length encoded (RFC 1951 3.2.7) as
/// Go's `generateCodegen` writes them, and each codegen symbol's frequency.
fn codegen(num_lit: usize, num_off: usize, lit: &Code, off: &Code) -> (Vec<u8>, Vec<i32>) {
    let mut sizes: Vec<u8> = lit.len[..num_lit].iter().map(|l| *l as u8).collect();
    sizes.extend(off.len[..num_off].iter().map(|l| *l as u8));
    sizes.push(BAD_CODE);
    let mut out = Vec::new();
    let mut freq = vec![0i32; CODEGEN_CODES];
    let mut size = sizes[0];
    let mut count: i32 = 1;
    let mut i = 1;
    while size != BAD_CODE {
        let next = sizes[i];
        i += 1;
        if next == size {
            count += 1;
            continue;
        }
        if size != 0 {
            out.push(size);
            freq[size as usize] += 1;
            count -= 1;
            while count >= 3 {
                let n = count.min(6);
                out.push(16);
                out.push((n - 3) as u8);
                freq[16] += 1;
                count -= n;
            }
        } else {
            while count >= 11 {
                let n = count.min(138);
                out.push(18);
                out.push((n - 11) as u8);
                freq[18] += 1;
                count -= n;
            }
            if count >= 3 {
                out.push(17);
                out.push((count - 3) as u8);
                freq[17] += 1;
                count = 0;
            }
        }
        count -= 1;
        while count >= 0 {
            out.push(size);
            freq[size as usize] += 1;
            count -= 1;
        }
        size = next;
        count = 1;
    }
    out.push(BAD_CODE);
    (out, freq)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::gzip;

    fn gunzip(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(b)
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    }

    /// Whatever the input, a gzip reader takes the bytes back to it: text,
    /// noise (stored blocks), long runs, and sizes around the window and the
    /// block limits. (That the bytes are Go's is tests/it/functions.rs.)
    #[test]
    fn every_input_round_trips() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut noise = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect()
        };
        let mut inputs: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"a".to_vec(),
            b"abcabcabcabc".to_vec(),
            vec![b'z'; 100_000],
        ];
        for n in [
            3, 4, 5, 257, 258, 259, 32_768, 65_535, 65_536, 70_000, 140_000,
        ] {
            inputs.push(noise(n));
            let text: Vec<u8> = (0..n)
                .map(|i| b"the quick brown fox "[i % 20] ^ (i / 997) as u8)
                .collect();
            inputs.push(text);
        }
        for input in inputs {
            assert_eq!(gunzip(&gzip(&input)), input, "{} bytes", input.len());
        }
    }
}
