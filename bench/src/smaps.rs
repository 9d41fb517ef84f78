//! Where a process's resident memory lies, by kind of mapping, from /proc/self/smaps (Linux):
//! the file pages of the running binary (code and read-only data, faulted in on first use
//! and shared with the page cache), of other files (the C library, the loader), the main
//! heap (`[heap]`) and every other anonymous page (thread heaps, stacks, the engine's slab
//! regions and slot chunks, written data of file mappings). M3 reports it next to `VmRSS`
//! to tell the database's memory from code pages.

/// Resident bytes by kind of mapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResidentKinds {
    /// File pages of the running binary.
    pub binary: u64,
    /// File pages of other files.
    pub other_files: u64,
    /// The main heap (`[heap]`).
    pub heap: u64,
    /// Other anonymous memory: thread heaps, stacks, mapped regions, and the pages of file
    /// mappings written since the start (relocated data, statics).
    pub other_anonymous: u64,
}

impl ResidentKinds {
    pub fn total(&self) -> u64 {
        self.binary + self.other_files + self.heap + self.other_anonymous
    }
}

/// This process's resident memory by kind of mapping; `None` where /proc/self/smaps cannot
/// be read.
pub fn resident_kinds() -> Option<ResidentKinds> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
    let exe = std::env::current_exe().ok()?;
    Some(parse(&smaps, &exe.to_string_lossy()))
}

/// Sums the `Rss:` and `Anonymous:` lines of `smaps` by the kind of their mapping; `exe` is
/// the binary's path. A file mapping's anonymous pages (its data written since the start:
/// relocations, statics) count as other anonymous memory, its other pages as the file's.
fn parse(smaps: &str, exe: &str) -> ResidentKinds {
    let mut kinds = ResidentKinds::default();
    // The mapping being read: its kind, resident and anonymous bytes.
    let mut current: Option<(Kind, u64, u64)> = None;
    for line in smaps.lines() {
        if let Some(kind) = mapping_kind(line, exe) {
            if let Some(done) = current.replace((kind, 0, 0)) {
                add(&mut kinds, done);
            }
        } else if let Some((_, resident, anonymous)) = current.as_mut() {
            if let Some(rest) = line.strip_prefix("Rss:") {
                *resident = kib_bytes(rest);
            } else if let Some(rest) = line.strip_prefix("Anonymous:") {
                *anonymous = kib_bytes(rest);
            }
        }
    }
    if let Some(done) = current {
        add(&mut kinds, done);
    }
    kinds
}

/// The bytes of a field's value in kB (`  1024 kB`), 0 if unreadable.
fn kib_bytes(field: &str) -> u64 {
    let kib: u64 = field
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    kib * 1024
}

/// Adds one mapping's resident and anonymous bytes to `kinds`.
fn add(kinds: &mut ResidentKinds, (kind, resident, anonymous): (Kind, u64, u64)) {
    let file = resident.saturating_sub(anonymous);
    match kind {
        Kind::Binary => kinds.binary += file,
        Kind::OtherFile => kinds.other_files += file,
        Kind::Heap => kinds.heap += resident,
        Kind::Anonymous => kinds.other_anonymous += resident,
    }
    if matches!(kind, Kind::Binary | Kind::OtherFile) {
        kinds.other_anonymous += anonymous;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Binary,
    OtherFile,
    Heap,
    Anonymous,
}

/// The kind of the mapping a header line (`start-end perms offset dev inode [path]`)
/// opens; `None` for a field line.
fn mapping_kind(line: &str, exe: &str) -> Option<Kind> {
    let mut fields = line.split_whitespace();
    let range = fields.next()?;
    let (start, end) = range.split_once('-')?;
    if !start
        .chars()
        .chain(end.chars())
        .all(|c| c.is_ascii_hexdigit())
    {
        return None;
    }
    let path = fields.nth(4).unwrap_or("");
    Some(if path == exe {
        Kind::Binary
    } else if path.starts_with('/') {
        Kind::OtherFile
    } else if path == "[heap]" {
        Kind::Heap
    } else {
        Kind::Anonymous
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0c2a00000-55d0c2b00000 r-xp 00001000 fd:00 42 /bin/bench
Size:               1024 kB
Rss:                 800 kB
Anonymous:             0 kB
55d0c2b00000-55d0c2b10000 rw-p 00101000 fd:00 42 /bin/bench
Rss:                  40 kB
Anonymous:            24 kB
55d0c3000000-55d0c3100000 rw-p 00000000 00:00 0 [heap]
Rss:                 300 kB
7f0000000000-7f0000200000 rw-p 00000000 00:00 0
Rss:                2048 kB
Anonymous:          2048 kB
7f1000000000-7f1000100000 r-xp 00000000 fd:00 43 /usr/lib/libc.so.6
Rss:                 120 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]
Rss:                  16 kB
";

    #[test]
    fn rss_lines_are_summed_by_the_kind_of_their_mapping() {
        let kinds = parse(SMAPS, "/bin/bench");
        assert_eq!(kinds.binary, (800 + 16) * 1024);
        assert_eq!(kinds.heap, 300 * 1024);
        assert_eq!(kinds.other_anonymous, (24 + 2048 + 16) * 1024);
        assert_eq!(kinds.other_files, 120 * 1024);
        assert_eq!(kinds.total(), (800 + 40 + 300 + 2048 + 16 + 120) * 1024);
    }

    #[test]
    fn this_process_has_resident_binary_pages() {
        if let Some(kinds) = resident_kinds() {
            assert!(kinds.binary > 0, "{kinds:?}");
        }
    }
}
