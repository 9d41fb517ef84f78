//! The default database memory budget: a share of the memory this process may use, read once
//! from the machine. The bound is the smaller of the physical memory (`MemTotal` in
//! `/proc/meminfo`) and the limits of the cgroups the process runs in (v2 `memory.max`, v1
//! `memory.limit_in_bytes`, found through `/proc/self/cgroup`), so a container's or a
//! service's limit counts rather than the host's. Where none
//! of these can be read (a system without `/proc`), there is no default budget and
//! `PRAGMA max_memory` says NULL.

use std::sync::OnceLock;

/// The share of the process's memory a database may hold by default, in percent (DuckDB
/// defaults to 80% as well). The rest is left for the program around the database, the
/// allocator's slack and statements' memory the estimates do not see.
pub const DEFAULT_BUDGET_PERCENT: u64 = 80;

/// Where cgroup memory limits are mounted: the v2 hierarchy (alone, or under `unified` on a
/// hybrid system) and the v1 memory controller, with each one's limit file.
const CGROUP_MOUNTS: [(&str, &str); 3] = [
    ("/sys/fs/cgroup", "memory.max"),
    ("/sys/fs/cgroup/unified", "memory.max"),
    ("/sys/fs/cgroup/memory", "memory.limit_in_bytes"),
];

/// `DEFAULT_BUDGET_PERCENT` of the memory this process may use, or `None` when that is
/// unknown. Read from the system once per process.
pub fn default_budget_bytes() -> Option<u64> {
    static DEFAULT: OnceLock<Option<u64>> = OnceLock::new();
    *DEFAULT.get_or_init(|| {
        let own_cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let memory = process_memory_bytes(
            std::fs::read_to_string("/proc/meminfo").ok().as_deref(),
            cgroup_limit_files(&own_cgroups)
                .iter()
                .filter_map(|path| std::fs::read_to_string(path).ok()),
        )?;
        Some(share_of(memory))
    })
}

/// The limit files of the cgroups this process is in, from `/proc/self/cgroup`
/// (`0::/path` for v2, `4:memory:/path` for v1's memory controller), then the root of each
/// hierarchy: inside a container the root is the container's own.
fn cgroup_limit_files(own_cgroups: &str) -> Vec<String> {
    let mut files = Vec::new();
    for line in own_cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let path = path.trim_end_matches('/');
        let mounts = match controllers {
            "" => &CGROUP_MOUNTS[..2],
            list if list.split(',').any(|c| c == "memory") => &CGROUP_MOUNTS[2..],
            _ => continue,
        };
        for (mount, file) in mounts {
            files.push(format!("{mount}{path}/{file}"));
        }
    }
    for (mount, file) in CGROUP_MOUNTS {
        files.push(format!("{mount}/{file}"));
    }
    files
}

/// `DEFAULT_BUDGET_PERCENT` percent of `bytes`, never below the smallest budget accepted.
fn share_of(bytes: u64) -> u64 {
    let share = u64::try_from(u128::from(bytes) * u128::from(DEFAULT_BUDGET_PERCENT) / 100)
        .unwrap_or(u64::MAX);
    share.max(crate::session::memory::MAX_MEMORY_BYTES_MIN)
}

/// The memory a process may use: the smaller of `MemTotal` from `meminfo` text and every
/// readable cgroup limit (a limit of `max` means none).
fn process_memory_bytes(
    meminfo: Option<&str>,
    cgroup_limits: impl Iterator<Item = String>,
) -> Option<u64> {
    let physical = meminfo.and_then(mem_total_bytes);
    let cgroup = cgroup_limits
        .filter_map(|text| text.trim().parse::<u64>().ok())
        .filter(|&bytes| bytes > 0)
        .min();
    match (physical, cgroup) {
        (Some(physical), Some(cgroup)) => Some(physical.min(cgroup)),
        (physical, cgroup) => physical.or(cgroup),
    }
}

/// `MemTotal:  16305640 kB` from `/proc/meminfo`, in bytes.
fn mem_total_bytes(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let mut words = line["MemTotal:".len()..].split_whitespace();
    let number: u64 = words.next()?.parse().ok()?;
    let unit = match words.next() {
        None => 1,
        Some(unit) if unit.eq_ignore_ascii_case("kb") => 1024,
        Some(_) => return None,
    };
    number.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMINFO: &str = "MemTotal:        8000000 kB\nMemFree:  100 kB\n";

    #[test]
    fn the_smaller_of_physical_memory_and_the_cgroup_limit() {
        let physical = 8_000_000 * 1024;
        assert_eq!(
            process_memory_bytes(Some(MEMINFO), std::iter::empty()),
            Some(physical)
        );
        let limited = || vec!["max\n".to_string(), "1073741824\n".to_string()].into_iter();
        assert_eq!(
            process_memory_bytes(Some(MEMINFO), limited()),
            Some(1 << 30)
        );
        let unlimited_v1 = vec!["9223372036854771712".to_string()].into_iter();
        assert_eq!(
            process_memory_bytes(Some(MEMINFO), unlimited_v1),
            Some(physical)
        );
        assert_eq!(process_memory_bytes(None, limited()), Some(1 << 30));
        assert_eq!(process_memory_bytes(None, std::iter::empty()), None);
        assert_eq!(
            process_memory_bytes(Some("MemTotal: lots"), std::iter::empty()),
            None
        );
    }

    #[test]
    fn the_limit_files_of_the_own_cgroups_come_first() {
        let files = cgroup_limit_files("9:name=systemd:/\n4:memory:/app/db\n0::/\n");
        assert_eq!(
            files[..3],
            [
                "/sys/fs/cgroup/memory/app/db/memory.limit_in_bytes",
                "/sys/fs/cgroup/memory.max",
                "/sys/fs/cgroup/unified/memory.max",
            ]
        );
        assert_eq!(files.len(), 6, "then the root of each hierarchy: {files:?}");
        assert_eq!(cgroup_limit_files("garbage").len(), 3);
    }

    #[test]
    fn the_default_is_a_share_and_never_below_the_minimum() {
        assert_eq!(share_of(10 << 30), 8 << 30);
        assert_eq!(
            share_of(1),
            crate::session::memory::MAX_MEMORY_BYTES_MIN,
            "a tiny machine still gets a usable budget"
        );
        assert_eq!(share_of(u64::MAX), u64::MAX / 100 * 80 + 12);
        if let Some(budget) = default_budget_bytes() {
            assert!(budget >= crate::session::memory::MAX_MEMORY_BYTES_MIN);
        }
    }
}
