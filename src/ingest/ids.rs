//! The 64-bit hashes of a month's usage record ids, kept only to prove the
//! ids distinct (as many distinct hashes as rows proves it; fewer sends the
//! month down the exact duplicate pass). A month of up to [`SPILL_AT`] rows
//! (33.5M) keeps them in memory; a larger one spreads them by their top byte
//! into 256 temporary files, proven one file at a time, so a billion-row
//! month holds about 30 MB of them instead of 8 GB.

use std::io::{BufReader, BufWriter, Read, Write};

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Hashes held in memory before they are spread to files (256 MiB): proving
/// them distinct in memory takes a second copy, so a 100M-row month with
/// millions of (partner, customer) pairs would pass 4 GiB with 2^27.
const SPILL_AT: usize = 1 << 25;

/// Files the hashes are spread over, by their top bits.
const FILES: usize = 256;

/// The record-id hashes of a month so far.
pub struct IdHashes {
    memory: Vec<u64>,
    spilled: Option<Spilled>,
    count: usize,
    /// Hashes held in memory before they go to files.
    limit: usize,
}

impl Default for IdHashes {
    fn default() -> Self {
        IdHashes::with_limit(SPILL_AT)
    }
}

struct Spilled {
    dir: tempfile::TempDir,
    files: Vec<BufWriter<std::fs::File>>,
}

fn io(e: std::io::Error) -> Error {
    Error::Usage(format!(
        "cannot keep record-id hashes in a temporary folder ({}; TMPDIR sets where): {e}",
        std::env::temp_dir().display()
    ))
}

impl IdHashes {
    /// Hashes kept in memory up to `limit`, in files beyond.
    fn with_limit(limit: usize) -> IdHashes {
        IdHashes {
            memory: Vec::new(),
            spilled: None,
            count: 0,
            limit,
        }
    }

    /// Room for `rows` hashes (as many as are kept in memory), so the
    /// vector is not copied each time it would double.
    pub fn reserve(&mut self, rows: usize) {
        self.memory.reserve(rows.min(self.limit));
    }

    /// Adds the hashes of a batch.
    pub fn extend(&mut self, hashes: Vec<u64>) -> Result<()> {
        self.count += hashes.len();
        if self.spilled.is_none() && self.memory.len() + hashes.len() <= self.limit {
            self.memory.extend(hashes);
            return Ok(());
        }
        if self.spilled.is_none() {
            let dir = tempfile::Builder::new()
                .prefix("settle-ids-")
                .tempdir()
                .map_err(io)?;
            let files = (0..FILES)
                .map(|f| {
                    std::fs::File::create(dir.path().join(format!("{f:03}")))
                        .map(|file| BufWriter::with_capacity(1 << 16, file))
                })
                .collect::<std::io::Result<Vec<_>>>()
                .map_err(io)?;
            self.spilled = Some(Spilled { dir, files });
            let held = std::mem::take(&mut self.memory);
            self.write(&held)?;
        }
        self.write(&hashes)
    }

    fn write(&mut self, hashes: &[u64]) -> Result<()> {
        let spilled = self.spilled.as_mut().expect("spilled");
        for &h in hashes {
            spilled.files[(h >> 56) as usize]
                .write_all(&h.to_le_bytes())
                .map_err(io)?;
        }
        Ok(())
    }

    /// Whether `rows` hashes were added and all are different.
    pub fn all_distinct(self, rows: usize) -> Result<bool> {
        if self.count != rows {
            return Ok(false);
        }
        let Some(Spilled { dir, files }) = self.spilled else {
            return Ok(distinct(self.memory));
        };
        for file in files {
            file.into_inner().map_err(|e| io(e.into_error()))?;
        }
        // One file at a time: each holds the hashes of one top byte, so a
        // repeat is always within one file.
        for f in 0..FILES {
            let mut bytes = Vec::new();
            BufReader::new(std::fs::File::open(dir.path().join(format!("{f:03}"))).map_err(io)?)
                .read_to_end(&mut bytes)
                .map_err(io)?;
            let hashes: Vec<u64> = bytes
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect();
            drop(bytes);
            if !distinct(hashes) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Whether every hash differs: spread into 2^16 buckets by their top bits
/// (one pass, sequential reads), and each bucket, small enough for the
/// first-level cache, sorted and scanned for equal neighbours.
fn distinct(hashes: Vec<u64>) -> bool {
    const BITS: u32 = 16;
    let bucket = |h: u64| ((h << 8) >> (64 - BITS)) as usize;
    let mut starts = vec![0usize; (1 << BITS) + 1];
    for &h in &hashes {
        starts[bucket(h) + 1] += 1;
    }
    for b in 0..1 << BITS {
        starts[b + 1] += starts[b];
    }
    let mut next = starts.clone();
    let mut spread = vec![0u64; hashes.len()];
    for &h in &hashes {
        let b = bucket(h);
        spread[next[b]] = h;
        next[b] += 1;
    }
    drop(hashes);
    let mut buckets = Vec::with_capacity(1 << BITS);
    let mut rest = spread.as_mut_slice();
    for b in 0..1 << BITS {
        let (this, after) = rest.split_at_mut(starts[b + 1] - starts[b]);
        buckets.push(this);
        rest = after;
    }
    buckets
        .into_par_iter()
        .try_for_each_init(Vec::new, |seen, b| all_differ(b, seen).then_some(()))
        .is_some()
}

/// Whether the hashes of one bucket all differ, by an open-addressing table
/// in `seen` (reused from bucket to bucket; sorting each bucket cost twice
/// as much).
fn all_differ(bucket: &[u64], seen: &mut Vec<u64>) -> bool {
    let Some(&first) = bucket.first() else {
        return true;
    };
    // A bucket's hashes share their bucket bits (40..56): with one of those
    // flipped, a value is in no slot's bucket, so it marks a free slot.
    let free = first ^ 1 << 47;
    let slots = (2 * bucket.len()).next_power_of_two();
    seen.clear();
    seen.resize(slots, free);
    let mask = slots - 1;
    bucket.iter().all(|&h| {
        // The low bits are as random as the hash.
        let mut at = h as usize & mask;
        loop {
            match seen[at] {
                s if s == free => {
                    seen[at] = h;
                    return true;
                }
                s if s == h => return false,
                _ => at = (at + 1) & mask,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(n: u64) -> Vec<u64> {
        // Distinct values spread over every top byte.
        (0..n)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect()
    }

    #[test]
    fn distinct_in_memory_and_a_repeat_found() {
        let mut ids = IdHashes::default();
        ids.extend(spread(100_000)).unwrap();
        assert!(ids.all_distinct(100_000).unwrap());
        let mut ids = IdHashes::default();
        let mut h = spread(100_000);
        h.push(h[77_777]);
        ids.extend(h).unwrap();
        assert!(!ids.all_distinct(100_001).unwrap());
        let mut ids = IdHashes::default();
        ids.extend(spread(10)).unwrap();
        assert!(
            !ids.all_distinct(11).unwrap(),
            "a count that is not the rows'"
        );
    }

    #[test]
    fn a_bucket_finds_its_repeat_whatever_the_values() {
        // Values below 2^40 share one bucket (bucket bits all 0), as a
        // bucket's hashes do; 0 is a hash like any other.
        let mut seen = Vec::new();
        assert!(all_differ(&[], &mut seen));
        assert!(all_differ(&[0], &mut seen));
        assert!(!all_differ(&[0, 5, 0], &mut seen));
        // Same low bits (same first slot), different values.
        assert!(all_differ(&[1, 1 + 1024, 1 + 2048, 7], &mut seen));
        assert!(!all_differ(&[1, 1 + 1024, 1 + 2048, 1 + 1024], &mut seen));
        // The table is reused: what a bucket left behind is not seen again.
        assert!(all_differ(&[5, 0], &mut seen));
    }

    #[test]
    fn spilled_hashes_are_proven_file_by_file() {
        // Past the memory bound the hashes go to files; a repeat of a hash
        // held in memory before the spill is still found.
        let all = spread(50_000);
        let fill = |ids: &mut IdHashes| {
            for chunk in all.chunks(4096) {
                ids.extend(chunk.to_vec()).unwrap();
            }
        };
        let mut ids = IdHashes::with_limit(10_000);
        fill(&mut ids);
        assert!(ids.spilled.is_some() && ids.memory.is_empty());
        assert!(ids.all_distinct(50_000).unwrap());
        let mut ids = IdHashes::with_limit(10_000);
        fill(&mut ids);
        ids.extend(vec![all[5]]).unwrap();
        assert!(!ids.all_distinct(50_001).unwrap());
    }
}
