//! One run per output root (SPEC §6). The lock is an OS file lock on
//! `<root>/.lock`, which the kernel releases when the holding process ends
//! however it ends (SIGKILL included), so a killed run never leaves a lock that
//! blocks the next one. The file's text names the holder for the message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Holds the output root until dropped.
pub struct RootLock {
    file: File,
    path: PathBuf,
}

impl RootLock {
    /// Takes the lock at once or fails with exit 4 naming the holder.
    pub fn acquire(root: &Path, what: &str) -> Result<RootLock> {
        std::fs::create_dir_all(root).map_err(Error::io("create output root", root))?;
        let path = root.join(".lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io("open lock", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::Locked {
                    root: root.to_path_buf(),
                    holder: holder(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io("lock", &path)(e)),
        }
        let note = format!(
            "pid {} running `settle {what}` since {}",
            std::process::id(),
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S")
        );
        file.set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| file.write_all(note.as_bytes()))
            .map_err(Error::io("write lock", &path))?;
        Ok(RootLock { file, path })
    }
}

/// The holder's note; a holder that took the lock an instant ago may not have
/// written it yet, so wait a little (well under a second) for it.
fn holder(file: &mut File) -> String {
    for _ in 0..10 {
        let mut note = String::new();
        if file.rewind().is_ok()
            && file.read_to_string(&mut note).is_ok()
            && !note.trim().is_empty()
        {
            return note.trim().to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    "holder unknown".to_string()
}

impl Drop for RootLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
        tracing::debug!(lock = %self.path.display(), "released");
    }
}
