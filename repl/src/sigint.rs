//! Ctrl-C (SIGINT) while a statement runs: the handler (the `ctrlc` crate) interrupts the
//! running connection's statement through its `InterruptHandle`, at a terminal and in script
//! mode alike; printing a result stops as well (`StopOnInterrupt`). It also records that
//! Ctrl-C was pressed, so a script stops after the interrupted statement (as sqlite3 does)
//! instead of running the rest.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use ember::InterruptHandle;

/// The connection whose statement is running (none at the prompt: there the line editor
/// reads Ctrl-C as a key).
static RUNNING: Mutex<Option<InterruptHandle>> = Mutex::new(None);

/// Set by every Ctrl-C the handler sees; `take_seen` reads and clears it.
static SEEN: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once per process).
pub fn install() -> Result<(), String> {
    ctrlc::set_handler(|| {
        SEEN.store(true, Ordering::SeqCst);
        if let Some(handle) = RUNNING.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            handle.interrupt();
        }
    })
    .map_err(|error| error.to_string())
}

/// Runs `work` with Ctrl-C interrupting `handle`'s statement; the handle that ran before
/// (an enclosing `.read`, say) is restored after.
pub fn while_running<T>(handle: InterruptHandle, work: impl FnOnce() -> T) -> T {
    let previous = RUNNING
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .replace(handle);
    let result = work();
    *RUNNING.lock().unwrap_or_else(|p| p.into_inner()) = previous;
    result
}

/// Whether Ctrl-C was pressed since the last `take_seen`, without clearing it.
pub fn seen() -> bool {
    SEEN.load(Ordering::SeqCst)
}

/// A writer that fails once Ctrl-C is pressed, so printing a large result stops too.
pub struct StopOnInterrupt<'a>(pub &'a mut dyn Write);

/// The message of the write error `StopOnInterrupt` gives.
pub const INTERRUPTED: &str = "interrupted";

impl Write for StopOnInterrupt<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if seen() {
            // Not `ErrorKind::Interrupted`: `write_all` retries that one.
            return Err(io::Error::other(INTERRUPTED));
        }
        self.0.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Whether Ctrl-C was pressed since the last call.
pub fn take_seen() -> bool {
    SEEN.swap(false, Ordering::SeqCst)
}
