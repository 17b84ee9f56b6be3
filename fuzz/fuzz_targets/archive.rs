//! Template archive reader: any tar (or .tar.gz) stream is unpacked or refused with one sentence, and nothing lands outside the folder given.
#![no_main]

use std::fs;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use startup_factory::templates::{unpack_archive, unpack_tar};

/// Every name directly in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn check(result: Result<std::path::PathBuf, String>, into: &Path) {
    match result {
        Ok(root) => {
            assert!(root.starts_with(into), "{root:?}");
            assert!(root.join("template.toml").is_file());
        }
        Err(e) => assert!(!e.is_empty() && !e.contains('\n'), "{e:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("into");
    fs::create_dir(&into).unwrap();
    check(unpack_tar(data, &into), &into);
    if data.starts_with(&[0x1f, 0x8b]) {
        let file = tmp.path().join("t.tar.gz");
        fs::write(&file, data).unwrap();
        let into2 = tmp.path().join("into2");
        fs::create_dir(&into2).unwrap();
        check(unpack_archive(&file, &into2), &into2);
        fs::remove_file(&file).unwrap();
        fs::remove_dir_all(&into2).unwrap();
    }
    assert_eq!(names(tmp.path()), ["into"], "something was written beside the folder");
});
