//! Publishing safety and history (SPEC §6, §7): reruns with adjustments, old
//! versions kept, kills at random moments, and one run per output root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use partner_settle::vocab::Dataset;

use crate::util::*;

const PERIODS: [&str; 3] = ["2026-08", "2026-09", "2026-10"];

/// The golden months as inputs, nothing published yet.
fn golden() -> Workdir {
    let w = Workdir::new();
    w.config("utf-8", "2026-08");
    for p in PERIODS {
        w.copy_month(&repo().join("fixtures/golden/periods").join(p), p);
    }
    w
}

/// The golden months published up to 2026-10.
pub(crate) fn published_golden() -> Workdir {
    let w = golden();
    w.settle(&["run", "--period", "2026-10"]).expect(0);
    w
}

/// The dispute: September's usage is corrected after October is published.
/// A09 billed 250.00 (not 200.50) and S11 150.00 (not 100.00).
pub(crate) fn correct_september(dir: &Path) {
    let path = dir.join("inputs/2026-09/usage.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let fixed = text
        .replace(
            "u-A09,A09,C-A09,VNET,2026-09-05,200.50",
            "u-A09,A09,C-A09,VNET,2026-09-05,250.00",
        )
        .replace(
            "u-S11,S11,C-S11,MAS,2026-09-06,100.00",
            "u-S11,S11,C-S11,MAS,2026-09-06,150.00",
        );
    assert_ne!(fixed, text);
    std::fs::write(path, fixed).unwrap();
}

fn published_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for dataset in Dataset::MONTHLY {
        for p in PERIODS {
            let rel = format!("{dataset}/period={p}/part-0.parquet");
            if let Ok(bytes) = std::fs::read(out.join(&rel)) {
                files.insert(rel, bytes);
            }
        }
    }
    files
}

fn manifest_of(out: &Path, run_id: &str) -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(out.join("runs").join(run_id).join("manifest.json")).unwrap(),
    )
    .unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The version the log names current has every file its manifest lists,
/// complete, under `runs/<run_id>/`.
fn assert_head_complete(out: &Path, period: &str, context: &str) -> String {
    let (run_id, manifest) = head_of(out, period);
    for o in manifest["outputs"].as_array().unwrap() {
        let rel = o["path"].as_str().unwrap();
        let kept = out.join("runs").join(&run_id).join(rel);
        let bytes = std::fs::read(&kept)
            .unwrap_or_else(|e| panic!("{context}: {period} run {run_id}: {rel}: {e}"));
        assert_eq!(
            sha256_hex(&bytes),
            o["sha256"].as_str().unwrap(),
            "{context}: {period} run {run_id}: {rel} is not the file its manifest lists"
        );
    }
    run_id
}

fn run_id_of(out: &Path, period: &str) -> String {
    let df = read_parquet(&out.join(format!("scores/period={period}/part-0.parquet")));
    strings(&df, "run_id")[0].clone()
}

#[test]
fn dispute_rerun_publishes_new_versions_with_adjustments() {
    let w = published_golden();
    let out = w.path().join("out");
    let old = published_files(&out);
    let (old_sep, old_oct) = (run_id_of(&out, "2026-09"), run_id_of(&out, "2026-10"));
    correct_september(w.path());

    // A plain run of the corrected month is refused and changes nothing.
    w.settle(&["run", "--period", "2026-09"]).expect(5);
    assert_eq!(published_files(&out), old);

    let run = w
        .settle(&[
            "rerun",
            "--from",
            "2026-09",
            "--reason",
            "usage feed corrected (ticket 4711)",
        ])
        .expect(0);
    assert!(
        run.stdout().contains(&format!("replaces run {old_sep}")),
        "{}",
        run.stdout()
    );
    let (new_sep, new_oct) = (run_id_of(&out, "2026-09"), run_id_of(&out, "2026-10"));
    assert_ne!(new_sep, old_sep);
    assert_ne!(
        new_oct, old_oct,
        "October builds on September's run_id, so it is republished too"
    );

    // Hand-computed deltas: A09 sa_base 250.00 × 300 bp = 7.50 (was 6.015 → 6.02);
    // S11 si_revenue_share 150.00 × 7000 bp = 105.00 (was 70.00).
    let adj = read_parquet(&out.join(format!(
        "adjustments/period=2026-09/run={new_sep}/part-0.parquet"
    )));
    let rows: Vec<String> = (0..adj.height())
        .map(|i| {
            [
                "partner_id",
                "component",
                "category",
                "previous_amount",
                "new_amount",
                "delta",
                "previous_run_id",
                "run_id",
                "reason",
            ]
            .map(|c| strings(&adj, c)[i].clone())
            .join(" | ")
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            format!(
                "A09 | sa_base | basic_access | 6.02 | 7.50 | 1.48 | {old_sep} | {new_sep} | usage feed corrected (ticket 4711)"
            ),
            format!(
                "S11 | si_revenue_share | industry_info | 70.00 | 105.00 | 35.00 | {old_sep} | {new_sep} | usage feed corrected (ticket 4711)"
            ),
        ]
    );
    // October's amounts did not change: its adjustments file exists and is empty.
    let adj_oct = read_parquet(&out.join(format!(
        "adjustments/period=2026-10/run={new_oct}/part-0.parquet"
    )));
    assert_eq!(adj_oct.height(), 0);

    // The old versions stay readable under runs/<old_run_id>/.
    for p in ["2026-09", "2026-10"] {
        let old_id = if p == "2026-09" { &old_sep } else { &old_oct };
        for dataset in ["ledger", "payouts", "scores"] {
            let rel = format!("{dataset}/period={p}/part-0.parquet");
            let kept = out.join("runs").join(old_id).join(&rel);
            assert_eq!(
                std::fs::read(&kept).unwrap(),
                old[&rel],
                "{}",
                kept.display()
            );
            assert!(read_parquet(&kept).height() > 0);
        }
    }
    // August was not touched.
    for (rel, bytes) in &old {
        if rel.contains("2026-08") {
            assert_eq!(&std::fs::read(out.join(rel)).unwrap(), bytes, "{rel}");
        }
    }

    // The manifest records the rerun and its totals equal the published ledger.
    let m = manifest_of(&out, &new_sep);
    assert_eq!(m["previous_run_id"], old_sep.as_str());
    assert_eq!(m["reason"], "usage feed corrected (ticket 4711)");
    let ledger = read_parquet(&out.join("ledger/period=2026-09/part-0.parquet"));
    let mut by_component: BTreeMap<String, i64> = BTreeMap::new();
    for (c, a) in strings(&ledger, "component")
        .into_iter()
        .zip(strings(&ledger, "amount"))
    {
        *by_component.entry(c).or_default() += fen(&a);
    }
    let manifest_totals: BTreeMap<String, i64> = m["ledger_amount_by_component"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), fen(v.as_str().unwrap())))
        .collect();
    assert_eq!(manifest_totals, by_component);

    // The same rerun again finds nothing to change.
    let after = published_files(&out);
    let run = w
        .settle(&["rerun", "--from", "2026-09", "--reason", "again"])
        .expect(0);
    assert!(run.stdout().contains("nothing to do"), "{}", run.stdout());
    assert_eq!(published_files(&out), after);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn rerun_command(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_settle"));
    c.args([
        "--config",
        "settle.toml",
        "rerun",
        "--from",
        "2026-09",
        "--reason",
        "corrected usage",
    ])
    .current_dir(dir);
    c.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    c
}

/// xorshift64*: a tiny deterministic generator for kill delays.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[test]
fn killed_republish_leaves_old_or_new_files_and_completes_on_rerun() {
    let base = published_golden();
    let (old_sep, old_oct) = (
        run_id_of(&base.path().join("out"), "2026-09"),
        run_id_of(&base.path().join("out"), "2026-10"),
    );
    correct_september(base.path());
    let old = published_files(&base.path().join("out"));

    // The finished result, and how long a rerun takes.
    let done = tempfile::tempdir().unwrap();
    copy_tree(base.path(), done.path());
    let started = Instant::now();
    assert!(rerun_command(done.path()).status().unwrap().success());
    let full = started.elapsed();
    let new = published_files(&done.path().join("out"));
    assert_eq!(new.len(), old.len());

    let seed = std::env::var("SETTLE_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!(
        "fault test seed {seed} (rerun with SETTLE_FAULT_SEED={seed}); full rerun takes {full:?}"
    );
    let mut state = seed;
    let window = full.as_micros() as u64 + 1;
    let mut partial = 0;
    for round in 0..24 {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(base.path(), dir.path());
        let delay = Duration::from_micros(next(&mut state) % window);
        let mut child = rerun_command(dir.path()).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let out = dir.path().join("out");
        let now = published_files(&out);
        assert_eq!(
            now.keys().collect::<Vec<_>>(),
            old.keys().collect::<Vec<_>>(),
            "round {round}: a published file went missing"
        );
        let mut changed = 0;
        for (rel, bytes) in &now {
            assert!(
                bytes == &old[rel] || bytes == &new[rel],
                "round {round} (delay {delay:?}, seed {seed}): {rel} is neither version"
            );
            assert!(
                read_parquet(&out.join(rel)).width() > 0,
                "round {round}: {rel} unreadable"
            );
            changed += usize::from(bytes != &old[rel]);
        }
        if changed > 0 && changed < now.len() {
            partial += 1;
        }
        // Whatever the kill interrupted, the log names a complete version.
        let mut heads = vec![];
        for p in PERIODS {
            heads.push(assert_head_complete(
                &out,
                p,
                &format!("round {round} after the kill"),
            ));
        }
        if heads[1] == old_sep {
            // Not committed: September is still the old version, whatever
            // the Hive tree shows until the next run puts it back.
            assert_eq!(
                heads[2], old_oct,
                "round {round}: October moved before September"
            );
        }
        assert!(
            rerun_command(dir.path()).status().unwrap().success(),
            "round {round}: the same command again failed"
        );
        for p in PERIODS {
            let run_id = assert_head_complete(&out, p, &format!("round {round} completed"));
            assert_eq!(
                run_id_of(&out, p),
                run_id,
                "round {round}: {p} live files are the current version"
            );
        }
        assert_eq!(
            published_files(&out),
            new,
            "round {round}: completing the rerun gives the new version"
        );
        let adj = |d: &Path| -> PathBuf {
            d.join(format!(
                "out/adjustments/period=2026-09/run={}/part-0.parquet",
                run_id_of(&d.join("out"), "2026-09")
            ))
        };
        assert_eq!(
            std::fs::read(adj(dir.path())).unwrap(),
            std::fs::read(adj(done.path())).unwrap(),
            "round {round}: adjustments"
        );
    }
    eprintln!("{partial} of 24 kills landed mid-publish");
}

#[test]
fn the_latest_version_stays_current_when_the_zone_changes_and_the_clock_goes_back() {
    // Publish at 2026-11-30 12:00 in Shanghai (+08:00); rerun from a host in
    // Los Angeles (-08:00) whose clock reads a day earlier. By the timestamps
    // the first version looks newer; by the log the rerun is current.
    let w = golden();
    let shanghai = [("TZ", "Asia/Shanghai"), ("SOURCE_DATE_EPOCH", "1796011200")];
    let los_angeles = [
        ("TZ", "America/Los_Angeles"),
        ("SOURCE_DATE_EPOCH", "1795924800"),
    ];
    w.settle_env(&shanghai, &["run", "--period", "2026-10"])
        .expect(0);
    let out = w.path().join("out");
    let (old_sep, first) = head_of(&out, "2026-09");
    assert_eq!(first["published_at"], "2026-11-30T12:00:00.000000+08:00");
    correct_september(w.path());
    w.settle_env(
        &los_angeles,
        &["rerun", "--from", "2026-09", "--reason", "corrected usage"],
    )
    .expect(0);
    let (new_sep, second) = head_of(&out, "2026-09");
    assert_ne!(new_sep, old_sep);
    assert_eq!(second["published_at"], "2026-11-28T20:00:00.000000-08:00");
    assert!(
        second["published_at"].as_str() < first["published_at"].as_str(),
        "the rerun's timestamp sorts before the first version's"
    );
    assert_eq!(second["previous_run_id"], old_sep.as_str());
    assert_eq!(
        run_id_of(&out, "2026-09"),
        new_sep,
        "the live files are the rerun's"
    );
    // October chains onto the current September: running it again with the
    // same clock and zone finds nothing to do (had the old September been
    // taken as current, October's run_id would differ: exit 5).
    let again = w
        .settle_env(&los_angeles, &["run", "--period", "2026-10"])
        .expect(0);
    assert!(
        again.stdout().contains("nothing to do"),
        "{}",
        again.stdout()
    );
    let (oct, oct_manifest) = head_of(&out, "2026-10");
    assert_eq!(oct_manifest["previous_period_run_id"], new_sep.as_str());
    assert_eq!(run_id_of(&out, "2026-10"), oct);
}

#[test]
fn a_v1_output_root_without_a_log_is_read_and_migrated() {
    // A v1 root: the same files, but no _log, and the current version's
    // files only in place (v1 kept superseded versions under runs/ alone).
    let w = published_golden();
    let out = w.path().join("out");
    let ids: Vec<String> = PERIODS.iter().map(|p| run_id_of(&out, p)).collect();
    std::fs::remove_dir_all(out.join("_log")).unwrap();
    for id in &ids {
        for dataset in Dataset::MONTHLY {
            let _ = std::fs::remove_dir_all(out.join("runs").join(id).join(dataset.as_str()));
        }
    }
    let before = published_files(&out);
    // The same inputs: a no-op, which migrates the root first.
    let run = w.settle(&["run", "--period", "2026-10"]).expect(0);
    assert!(run.stdout().contains("nothing to do"), "{}", run.stdout());
    assert_eq!(published_files(&out), before, "nothing republished");
    for (p, id) in PERIODS.iter().zip(&ids) {
        assert_eq!(&assert_head_complete(&out, p, "migrated"), id, "{p}");
    }
    // And a rerun builds on the migrated history like on any other.
    correct_september(w.path());
    w.settle(&["rerun", "--from", "2026-09", "--reason", "corrected usage"])
        .expect(0);
    assert_ne!(run_id_of(&out, "2026-09"), ids[1]);
    assert_eq!(
        std::fs::read(
            out.join("runs")
                .join(&ids[1])
                .join("ledger/period=2026-09/part-0.parquet")
        )
        .unwrap(),
        before["ledger/period=2026-09/part-0.parquet"],
        "the superseded v1 version is kept"
    );
}

#[test]
fn two_runs_on_one_root_one_publishes_the_other_exits_4() {
    let w = golden();
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
            .args(["--config", "settle.toml", "run", "--period", "2026-10"])
            .current_dir(w.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut codes = [a.status.code().unwrap(), b.status.code().unwrap()];
    codes.sort();
    assert_eq!(
        codes,
        [0, 4],
        "a: {} b: {}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    let loser = if a.status.code() == Some(4) { a } else { b };
    assert!(
        String::from_utf8_lossy(&loser.stderr).contains("is locked by another run (pid"),
        "{}",
        String::from_utf8_lossy(&loser.stderr)
    );
}

#[test]
fn held_lock_is_reported_at_once_and_released_when_its_holder_dies() {
    let w = Workdir::new();
    w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
    w.config("utf-8", "2026-10");
    let lock = w.hold_lock("pid 99999 running `settle run --period 2026-10`");
    let started = Instant::now();
    let run = w.settle(&["run", "--period", "2026-10"]).expect(4);
    assert!(started.elapsed() < Duration::from_secs(5), "exits at once");
    assert!(
        run.stderr()
            .contains("pid 99999 running `settle run --period 2026-10`"),
        "{}",
        run.stderr()
    );
    assert!(!w.path().join("out/ledger").exists(), "nothing published");
    // The OS drops the lock with its holder (here: closing the file).
    drop(lock);
    w.settle(&["run", "--period", "2026-10"]).expect(0);
}

#[test]
fn rerun_of_an_unpublished_period_and_run_before_history_are_refused() {
    let w = Workdir::new();
    w.config("utf-8", "2026-10");
    w.copy_month(&repo().join("fixtures/appendix-a/2026-10"), "2026-10");
    let run = w
        .settle(&["rerun", "--from", "2026-10", "--reason", "x"])
        .expect(2);
    assert!(
        run.stderr().contains("period 2026-10 is not published yet"),
        "{}",
        run.stderr()
    );
    let run = w.settle(&["run", "--period", "2026-09"]).expect(2);
    assert!(
        run.stderr().contains("before history_starts 2026-10"),
        "{}",
        run.stderr()
    );
    let run = w
        .settle(&["rerun", "--from", "2026-10", "--reason", "  "])
        .expect(2);
    assert!(
        run.stderr().contains("--reason must say why"),
        "{}",
        run.stderr()
    );
    assert!(!w.path().join("out/ledger").exists());
}

#[test]
fn returning_to_an_earlier_run_keeps_every_version_s_manifest_and_adjustments() {
    // September published (A), corrected (B), then the correction undone:
    // the inputs of A again, so run A is published a second time.
    let w = published_golden();
    let out = w.path().join("out");
    let path = w.path().join("inputs/2026-09/usage.csv");
    let original = std::fs::read(&path).unwrap();
    let a = run_id_of(&out, "2026-09");
    correct_september(w.path());
    w.settle(&["rerun", "--from", "2026-09", "--reason", "to B"])
        .expect(0);
    let b = run_id_of(&out, "2026-09");
    std::fs::write(&path, &original).unwrap();
    w.settle(&["rerun", "--from", "2026-09", "--reason", "back to A"])
        .expect(0);
    assert_eq!(run_id_of(&out, "2026-09"), a, "the inputs of A give run A");
    let (head, manifest) = head_of(&out, "2026-09");
    assert_eq!(head, a);
    assert_eq!(manifest["previous_run_id"], b.as_str());
    assert_eq!(manifest["reason"], "back to A");
    // Version 1 (A, first published) keeps its manifest; version 3's
    // adjustments (A against B) do not overwrite version 2's (B against A).
    let first: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("runs").join(&a).join("manifest.v1.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(first["previous_run_id"], serde_json::Value::Null);
    let back = read_parquet(&out.join(format!(
        "adjustments/period=2026-09/run={a}-v3/part-0.parquet"
    )));
    let to_b =
        read_parquet(&out.join(format!("adjustments/period=2026-09/run={b}/part-0.parquet")));
    // A09 6.02 -> 7.50 and S11 70.00 -> 105.00, then back.
    assert_eq!(strings(&to_b, "delta"), ["1.48", "35.00"]);
    assert_eq!(strings(&back, "delta"), ["-1.48", "-35.00"]);
    assert_head_complete(&out, "2026-09", "back to A");
}
