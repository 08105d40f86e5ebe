//! Gives the binary copy of a state (`src/cache.rs`) an identity for this build:
//! a hash of the sources that decide what a state's text reads as (this crate,
//! the value crate, and the locked versions of the JSON reader) and of the binary
//! form entries are written in (`iac-binary`). An entry
//! written by any other build is a miss.

use std::path::Path;

fn main() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let roots = [
        here.join("src"),
        here.join("../crates/iac-value/src"),
        here.join("../crates/iac-binary/src"),
    ];
    let mut files = vec![here.join("../Cargo.lock")];
    for root in &roots {
        println!("cargo:rerun-if-changed={}", root.display());
        collect(root, &mut files);
    }
    println!("cargo:rerun-if-changed={}", files[0].display());
    files.sort();
    // FNV-1a over each file's name (relative to this crate) and contents.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &files {
        let name = f
            .strip_prefix(here)
            .unwrap_or(f)
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(f).unwrap_or_default();
        for b in name.bytes().chain(bytes) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=IAC_STATE_BUILD={h:016x}");
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}
