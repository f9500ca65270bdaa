//! A snapshot write cut short at any byte (a process killed mid-write) leaves the previous
//! snapshot loadable: every state `write_snapshot`'s steps can leave on disk is rebuilt and
//! read back, and the next write over it succeeds.

use std::fs;
use std::path::Path;

use cinder_core::Snapshot;
use cinder_train::snapshot::{SnapshotMeta, read_snapshot, write_snapshot};

fn snapshot(tag: &str) -> (Snapshot, SnapshotMeta) {
    let mut snapshot = Snapshot::new();
    snapshot.insert("policy.bpk", format!("{tag} weights").into_bytes());
    snapshot.insert("envs.json", format!("{{\"tag\":\"{tag}\"}}").into_bytes());
    snapshot.insert(
        "icm/forward.bpk",
        format!("{tag} forward model").into_bytes(),
    );
    let meta = SnapshotMeta {
        iteration: tag.len(),
        ..SnapshotMeta::default()
    };
    (snapshot, meta)
}

/// The files `write_snapshot` writes into its temporary directory, in its order (the
/// snapshot's files by name, then `meta.json`), with their contents.
fn written_in_order(dir: &Path, snapshot: &Snapshot) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = snapshot
        .files()
        .map(|(name, _)| (name.to_string(), fs::read(dir.join(name)).unwrap()))
        .collect();
    files.push(("meta.json".into(), fs::read(dir.join("meta.json")).unwrap()));
    files
}

fn assert_reads(dir: &Path, expected: &Snapshot, state: &str) {
    let (read, _) = read_snapshot(dir).unwrap_or_else(|e| panic!("{state}: {e}"));
    assert_eq!(&read, expected, "{state}");
}

#[test]
fn a_write_cut_at_any_byte_leaves_the_previous_snapshot_loadable() {
    let scratch = tempfile::tempdir().unwrap();
    let (old, old_meta) = snapshot("old");
    let (new, new_meta) = snapshot("newer");
    let reference = scratch.path().join("reference");
    write_snapshot(&reference, &new, new_meta.clone()).unwrap();
    let files = written_in_order(&reference, &new);
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();

    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("latest");
    let tmp = root.path().join("latest.tmp");
    let old_dir = root.path().join("latest.old");
    for cut in 0..=total {
        // Killed after `cut` bytes of the new snapshot reached `latest.tmp`.
        let _ = fs::remove_dir_all(&dir);
        let _ = fs::remove_dir_all(&tmp);
        write_snapshot(&dir, &old, old_meta.clone()).unwrap();
        fs::create_dir_all(&tmp).unwrap();
        let mut left = cut;
        for (name, bytes) in &files {
            if left == 0 {
                break;
            }
            let path = tmp.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            let n = left.min(bytes.len());
            fs::write(&path, &bytes[..n]).unwrap();
            left -= n;
        }
        let state = format!("cut after {cut} of {total} bytes");
        assert_reads(&dir, &old, &state);
        // The run that resumes writes its next snapshot over the leftovers.
        write_snapshot(&dir, &new, new_meta.clone()).unwrap();
        assert_reads(&dir, &new, &state);
        assert!(!tmp.exists() && !old_dir.exists(), "{state}: leftovers");
    }

    // Killed between the two renames: `latest` is gone, `latest.old` holds the previous one.
    let _ = fs::remove_dir_all(&dir);
    write_snapshot(&dir, &old, old_meta.clone()).unwrap();
    fs::rename(&dir, &old_dir).unwrap();
    fs::rename(&reference, &tmp).unwrap();
    assert_reads(&dir, &old, "between the renames");
    write_snapshot(&dir, &new, new_meta.clone()).unwrap();
    assert_reads(&dir, &new, "written after the renames");

    // Killed after the second rename, before `latest.old` was removed: the new one counts.
    write_snapshot(&old_dir, &old, old_meta).unwrap();
    assert_reads(&dir, &new, "before the old one was removed");
}
