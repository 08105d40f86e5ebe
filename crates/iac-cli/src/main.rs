//! The `iac` command. The only crate that prints, reads the environment or exits.

mod args;
mod backend;
mod commands;
mod exit;
mod fmt;
mod modules;
mod progress;
mod session;
mod ui;
mod views;

use std::process::ExitCode;

/// Plans allocate many small values; mimalloc halves the time spent in the allocator.
/// It is built without transparent huge pages (the `no_thp` feature): with them a
/// plan faults in 2 MiB pages, fewer faults but twice the memory touched, and on a
/// virtual machine whose freed memory goes back to the host (free page reporting)
/// each such page costs milliseconds when it is fresh. A 2,000-resource plan took
/// 11 ms after another iac run and 20-90 ms after a Terraform run with them; 13 ms
/// either way without.
#[global_allocator]
static GLOBAL: Mimalloc = Mimalloc;

/// mimalloc, entered by its plain functions: the `mimalloc` crate's allocator
/// always takes the aligned path, which costs about 40 instructions more per
/// allocation; every block mimalloc hands out is aligned to 8 bytes at least, so
/// only a stricter alignment needs that path.
struct Mimalloc;

#[allow(unsafe_code)]
unsafe extern "C" {
    fn mi_malloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_zalloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_realloc(p: *mut std::ffi::c_void, newsize: usize) -> *mut std::ffi::c_void;
}

/// What every block from `mi_malloc` is aligned to.
const PLAIN_ALIGN: usize = 8;

// SAFETY: each call keeps `GlobalAlloc`'s contract by handing the request to
// mimalloc: plain functions only for alignments every mimalloc block has, the
// aligned ones (through `mimalloc::MiMalloc`) otherwise; blocks from either are
// freed by `mi_free`, as `MiMalloc::dealloc` does.
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            // SAFETY: a plain allocation of the size asked; see above.
            unsafe { mi_malloc(layout.size()).cast() }
        } else {
            // SAFETY: forwarded as asked.
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            // SAFETY: as `alloc`.
            unsafe { mi_zalloc(layout.size()).cast() }
        } else {
            // SAFETY: forwarded as asked.
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from mimalloc (either path), as the caller promises.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            // SAFETY: `ptr` is a live mimalloc block; the new one keeps the alignment.
            unsafe { mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            // SAFETY: forwarded as asked.
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

/// mimalloc hands freed memory back to the operating system 10 ms after it falls
/// idle; in a command that lives a fraction of a second, the memory is wanted again
/// soon after, and getting it back costs a page fault and the kernel zeroing the
/// page (a 2,000-resource plan gave back 40 MiB and faulted it in again). Keep it
/// until exit instead. `MIMALLOC_PURGE_DELAY` still overrides this.
fn keep_freed_memory() {
    // mimalloc's `mi_option_purge_delay` (`mi_option_t` is a C enum).
    const PURGE_DELAY: std::ffi::c_int = 15;
    #[allow(unsafe_code)]
    unsafe extern "C" {
        fn mi_option_set_default(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // SAFETY: sets one option's default, before any thread starts; mimalloc is linked
    // in as the global allocator.
    #[allow(unsafe_code)]
    unsafe {
        mi_option_set_default(PURGE_DELAY, -1);
    }
}

/// A closed pipe (`iac show | head`) ends the process quietly, as it does other
/// command-line tools: Rust ignores SIGPIPE by default, which turns the next
/// write into a panic.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal before any thread
    // starts; no handler is installed.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    quiet_on_closed_pipe();
    let argv: Vec<String> = std::env::args().collect();
    let cli = match args::parse(argv) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:#}");
            1
        }
    };
    exit_now(code)
}

/// Ends the process once the command is done: output flushed, then straight to
/// the kernel. What exit handlers would do is not needed by a process about to
/// end (mimalloc's are to walk every page of the heap and free it: a few
/// milliseconds after a large plan); every file was written and closed by the
/// command itself.
fn exit_now(code: u8) -> ExitCode {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    #[cfg(unix)]
    // SAFETY: ends the process; nothing runs after it.
    #[allow(unsafe_code)]
    unsafe {
        libc::_exit(i32::from(code));
    }
    #[allow(unreachable_code)]
    ExitCode::from(code)
}
