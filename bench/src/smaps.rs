//! Where a process's resident memory lies, by kind of mapping, from /proc/self/smaps (Linux):
//! the pages of the running binary's file (code and read-only data, faulted in on first use
//! and shared with the page cache), other files (the C library, the loader), the main heap
//! (`[heap]`) and every other anonymous mapping (thread heaps, stacks, the engine's slab
//! regions and slot chunks). M3 reports it next to `VmRSS` to tell the database's memory from
//! code pages.

/// Resident bytes by kind of mapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResidentKinds {
    /// Pages of the running binary's own file.
    pub binary: u64,
    /// Pages of other files.
    pub other_files: u64,
    /// The main heap (`[heap]`).
    pub heap: u64,
    /// Other anonymous mappings (thread heaps, stacks, mapped regions).
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

/// Sums the `Rss:` lines of `smaps` by the kind of their mapping; `exe` is the binary's path.
fn parse(smaps: &str, exe: &str) -> ResidentKinds {
    let mut kinds = ResidentKinds::default();
    let mut current: Option<Kind> = None;
    for line in smaps.lines() {
        if let Some(kind) = mapping_kind(line, exe) {
            current = Some(kind);
        } else if let (Some(kind), Some(rest)) = (current, line.strip_prefix("Rss:")) {
            let kib: u64 = rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let bytes = kib * 1024;
            match kind {
                Kind::Binary => kinds.binary += bytes,
                Kind::OtherFile => kinds.other_files += bytes,
                Kind::Heap => kinds.heap += bytes,
                Kind::Anonymous => kinds.other_anonymous += bytes,
            }
        }
    }
    kinds
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
        assert_eq!(kinds.binary, 800 * 1024);
        assert_eq!(kinds.heap, 300 * 1024);
        assert_eq!(kinds.other_anonymous, (2048 + 16) * 1024);
        assert_eq!(kinds.other_files, 120 * 1024);
        assert_eq!(kinds.total(), (800 + 300 + 2048 + 16 + 120) * 1024);
    }

    #[test]
    fn this_process_has_resident_binary_pages() {
        if let Some(kinds) = resident_kinds() {
            assert!(kinds.binary > 0, "{kinds:?}");
        }
    }
}
