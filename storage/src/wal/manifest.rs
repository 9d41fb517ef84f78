//! The log manifest, `ember.manifest`: what the WAL is known to hold, kept outside the log
//! (as LevelDB and RocksDB keep a MANIFEST). The log alone cannot tell a tail that a crash
//! never finished writing from a tail lost after it was synced: a clean close's `SyncPoint`
//! is exactly what a cut removes. So every checkpoint and every clean close records the last
//! segment and how many of its bytes were synced at that moment; recovery then refuses a log
//! that holds less (`scan.rs`). The manifest only promises what was synced when it was
//! written, so a crash after it (a longer log, a torn unsynced tail) recovers as before.
//!
//! Format: `EMBRMAN1` (8 bytes), then one frame (`frame.rs`) whose payload is the segment
//! index (varint), the synced length (varint) and a byte, 1 when written at a clean close
//! (0 at a checkpoint). It is written whole to `ember.manifest.tmp`, fsynced, renamed over
//! the manifest and the directory fsynced, so it is either the old one or the new one.
//! A directory without one (written before it existed) opens as it always did.

use std::path::Path;

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::row::write_varint;
use crate::vfs::Vfs;

use super::frame::{encode_frame, frame_at, FrameAt};
use super::record::Reader;

/// The manifest's file name in a database directory.
pub const MANIFEST_NAME: &str = "ember.manifest";

const MANIFEST_MAGIC: &[u8; 8] = b"EMBRMAN1";

/// Largest manifest payload: two varints and a byte.
const MANIFEST_PAYLOAD_MAX: usize = 21;

/// What the log held, synced, when the manifest was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manifest {
    /// The segment the log was writing to.
    pub segment: u64,
    /// Bytes of that segment known to be on disk.
    pub synced_len: u64,
    /// Written at a clean close (the log ended there) rather than at a checkpoint.
    pub clean_close: bool,
}

impl Manifest {
    /// The file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut payload = Vec::with_capacity(MANIFEST_PAYLOAD_MAX);
        write_varint(self.segment, &mut payload);
        write_varint(self.synced_len, &mut payload);
        payload.push(u8::from(self.clean_close));
        let mut bytes = MANIFEST_MAGIC.to_vec();
        encode_frame(&payload, &mut bytes);
        bytes
    }

    /// Reads a manifest's bytes; `Err` says what is wrong with them.
    pub fn decode(bytes: &[u8]) -> Result<Manifest, String> {
        if !bytes.starts_with(MANIFEST_MAGIC) {
            return Err("bad header".to_string());
        }
        let start = MANIFEST_MAGIC.len();
        let FrameAt::Valid { payload, next } = frame_at(bytes, start, MANIFEST_PAYLOAD_MAX) else {
            return Err("its record is cut short or fails its checksum".to_string());
        };
        if next != bytes.len() {
            return Err("bytes after its record".to_string());
        }
        let mut reader = Reader::new(&bytes[payload]);
        let read = |reader: &mut Reader| -> StorageResult<Manifest> {
            let segment = reader.varint()?;
            let synced_len = reader.varint()?;
            let clean_close = match reader.u8()? {
                0 => false,
                1 => true,
                other => {
                    return Err(StorageError::new(
                        StorageErrorKind::Corruption,
                        format!("unknown close flag {other}"),
                    ))
                }
            };
            reader.finish()?;
            Ok(Manifest {
                segment,
                synced_len,
                clean_close,
            })
        };
        read(&mut reader).map_err(|error| error.message)
    }

    /// The manifest of `dir`: `None` when there is none; `Corruption` when it is damaged.
    pub fn read(vfs: &dyn Vfs, dir: &Path) -> StorageResult<Option<Manifest>> {
        let path = dir.join(MANIFEST_NAME);
        let bytes = match vfs.read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(StorageError::io(
                    format!("reading {}", path.display()),
                    &error,
                ))
            }
        };
        Manifest::decode(&bytes).map(Some).map_err(|what| {
            StorageError::new(
                StorageErrorKind::Corruption,
                format!(
                    "log manifest {} is damaged: {what} (it is written whole and renamed into \
                     place, so a crash does not do this; open with salvage to recover without \
                     it)",
                    path.display()
                ),
            )
        })
    }

    /// Replaces the manifest of `dir` atomically: temp file, fsync, rename, directory fsync.
    /// On failure the temp file is removed (best effort) and the old manifest stays.
    pub fn write(&self, vfs: &dyn Vfs, dir: &Path) -> StorageResult<()> {
        let path = dir.join(MANIFEST_NAME);
        let temp = dir.join(format!("{MANIFEST_NAME}.tmp"));
        let written = vfs
            .write_new(&temp, &self.encode())
            .and_then(|()| vfs.sync(&temp))
            .and_then(|()| vfs.rename(&temp, &path))
            .and_then(|()| vfs.sync_dir(dir));
        written.map_err(|error| {
            let _ = vfs.remove(&temp);
            StorageError::io(format!("writing {}", path.display()), &error)
        })
    }

    /// Removes the manifest of `dir` if there is one (salvage, before it cuts the log short
    /// of what the manifest promises; the open's checkpoint writes the next one).
    pub fn remove(vfs: &dyn Vfs, dir: &Path) -> StorageResult<()> {
        let path = dir.join(MANIFEST_NAME);
        match vfs.remove(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(StorageError::io(
                format!("removing {}", path.display()),
                &error,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::SimVfs;

    #[test]
    fn manifests_round_trip_and_damage_is_refused() {
        let manifest = Manifest {
            segment: 1 << 40,
            synced_len: 123_456,
            clean_close: true,
        };
        let bytes = manifest.encode();
        assert_eq!(Manifest::decode(&bytes), Ok(manifest));
        for cut in 0..bytes.len() {
            assert!(Manifest::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(Manifest::decode(&flipped).is_err(), "bit {bit}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Manifest::decode(&longer).is_err());
    }

    #[test]
    fn a_written_manifest_reads_back_and_a_damaged_one_is_corruption() {
        let vfs = SimVfs::new();
        let dir = Path::new("/db");
        vfs.create_dir_all(dir).unwrap();
        assert_eq!(Manifest::read(&vfs, dir).unwrap(), None);
        let manifest = Manifest {
            segment: 3,
            synced_len: 40,
            clean_close: false,
        };
        manifest.write(&vfs, dir).unwrap();
        vfs.crash(1);
        assert_eq!(Manifest::read(&vfs, dir).unwrap(), Some(manifest));
        assert_eq!(vfs.list(dir).unwrap(), vec![MANIFEST_NAME.to_string()]);
        vfs.poke(&dir.join(MANIFEST_NAME), vec![7; 30]).unwrap();
        let error = Manifest::read(&vfs, dir).unwrap_err();
        assert_eq!(error.kind, StorageErrorKind::Corruption);
        Manifest::remove(&vfs, dir).unwrap();
        Manifest::remove(&vfs, dir).unwrap();
        assert_eq!(Manifest::read(&vfs, dir).unwrap(), None);
    }
}
