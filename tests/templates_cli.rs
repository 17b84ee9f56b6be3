//! `factory templates ...` on the real binary: the registry with ratings, import from a
//! folder, an archive and a git URL, export, side-by-side versions, remove, new, and every
//! kind of bad template refused with nothing installed.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{Factory, path_str};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

/// Writes a small valid template; `edit` may change its manifest text.
fn template_dir(root: &Path, name: &str, version: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = root.join(format!("{name}-{version}-src"));
    fs::create_dir_all(dir.join("files/src")).unwrap();
    let manifest = format!(
        "# {name}: a test template.\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"A test template.\"\nstack = [\"python\", \"fastapi\"]\nmin_factory_version = \"0.1.0\"\n\n[ports]\napi = 9100\n\n[variables]\npython_version = \"3.12\"\n\n[[plan]]\nid = \"api\"\nrole = \"backend\"\ntitle = \"The API\"\nfiles = [\"src/api.py\"]\n"
    );
    fs::write(dir.join("template.toml"), edit(manifest)).unwrap();
    fs::write(dir.join("files/README.md"), "# {{ name }}\n\nServes on port {{ ports.api }}.\n").unwrap();
    fs::write(dir.join("files/src/main.py"), "NAME = {{ name | tojson }}\nPORT = {{ ports.api }}\n").unwrap();
    fs::write(dir.join("files/src/café ünïcode.txt"), "é\u{1F600}\n").unwrap();
    dir
}

/// An archive entry: name, type, content, link target.
type Entry<'a> = (&'a str, tar::EntryType, &'a [u8], Option<&'a str>);

/// A .tar.gz with raw headers, so that names a normal archiver refuses can be written.
fn raw_tar_gz(path: &Path, entries: &[Entry]) {
    let mut tar = tar::Builder::new(GzEncoder::new(fs::File::create(path).unwrap(), Compression::fast()));
    for (name, kind, data, link) in entries {
        let mut h = tar::Header::new_old();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(l) = link {
            h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_entry_type(*kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append(&h, *data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// Every file under `dir`, relative, with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn list(f: &Factory) -> Value {
    f.run(&["templates", "list", "--json"]).ok().json()
}

fn find<'a>(list: &'a Value, name: &str, version: &str) -> Option<&'a Value> {
    list["templates"].as_array().unwrap().iter().find(|t| t["name"] == name && t["version"] == version)
}

/// A command that must fail: exit 2, one sentence naming `needle`, and nothing installed.
fn refused(f: &Factory, args: &[&str], needle: &str) {
    let before = (f.run(&["templates", "list", "--json"]).stdout, installed(f));
    let out = f.run(args);
    assert_eq!(out.code, 2, "{args:?}: stdout {} stderr {}", out.stdout, out.stderr);
    let err = out.stderr.trim();
    assert_eq!(err.lines().count(), 1, "{args:?}: one line, got:\n{err}");
    assert!(err.starts_with("factory: ") && err.contains(needle), "{args:?}: {err}\nwanted: {needle}");
    assert!(!err.contains("panicked"));
    assert_eq!((f.run(&["templates", "list", "--json"]).stdout, installed(f)), before, "{args:?} changed something");
}

/// What the data directory's template folder holds.
fn installed(f: &Factory) -> Vec<String> {
    let root = f.data_dir().join("templates");
    if !root.exists() {
        return Vec::new();
    }
    tree(&root).into_iter().map(|(p, _)| p).collect()
}

#[test]
fn the_registry_lists_builtins_with_runs_ratings_and_approvals() {
    let f = Factory::new();
    let before = list(&f);
    let neo = find(&before, "neoforge", "1.0.0").expect("neoforge is built in");
    assert_eq!(
        (neo["source"].as_str(), neo["runs"].as_u64(), neo["rating"].is_null()),
        (Some("builtin"), Some(0), true)
    );
    for name in ["A", "B"] {
        f.run(&["new", "--name", name, "--idea", "x"]).ok();
    }
    f.run(&["run", "--headless", "--exit-when-idle", "--quiet", "--simulate"]).ok();
    f.run(&["reject", "s-02", "--note", "no market"]).ok();
    f.run(&["run", "--headless", "--exit-when-idle", "--quiet", "--auto-approve", "--simulate"]).ok();
    let after = list(&f);
    let neo = find(&after, "neoforge", "1.0.0").unwrap();
    assert_eq!((neo["runs"].as_u64(), neo["finished_runs"].as_u64()), (Some(2), Some(2)));
    // s-01 was approved at G3 automatically: shown apart, not rated (no person judged it).
    assert_eq!((neo["rating"].as_f64(), neo["auto_approved_g3"].as_u64()), (None, Some(1)), "{neo}");
    assert_eq!(neo["approvals"], serde_json::json!({"G0": 1, "G1": 1, "G2": 1, "G3": 1}));
    assert_eq!(neo["gates"][0]["reached"], 2);

    let text = f.run(&["templates", "list"]).ok().stdout;
    let line = text.lines().find(|l| l.starts_with("neoforge")).unwrap();
    assert!(line.contains("builtin") && line.contains("— +1a"), "{line}");
    let show = f.run(&["templates", "show", "neoforge"]).ok().stdout;
    for needle in ["neoforge 1.0.0 (builtin, the default version)", "Default plan (8 tasks)", "runs: 2", "Checks:"] {
        assert!(show.contains(needle), "show lacks {needle}:\n{show}");
    }
    let shown = f.run(&["templates", "show", "neoforge@1.0.0", "--json"]).ok().json();
    assert!(shown["files"].as_array().unwrap().iter().any(|p| p == "backend/app/main.py"));
    assert_eq!(shown["manifest"]["plan"].as_array().unwrap().len(), 8);
}

#[test]
fn each_run_records_its_own_ports_and_template_version() {
    let f = Factory::new();
    for name in ["A", "B", "C"] {
        f.run(&["new", "--name", name, "--idea", "x"]).ok();
    }
    let status = f.status();
    let mut seen = std::collections::HashSet::new();
    for s in status["startups"].as_array().unwrap() {
        assert_eq!(s["template_version"], "1.0.0");
        for port in s["ports"].as_object().unwrap().values() {
            assert!(seen.insert(port.as_u64().unwrap()), "port {port} given twice");
        }
    }
    assert_eq!(Factory::startup(&status, "s-02")["ports"], serde_json::json!({"backend": 8020, "frontend": 5193}));
    let text = f.run(&["status", "s-02"]).ok().stdout;
    assert!(text.contains("template neoforge 1.0.0") && text.contains("ports backend 8020, frontend 5193"), "{text}");
}

#[test]
fn an_export_imported_on_another_box_gives_the_same_files_byte_for_byte() {
    let (a, b) = (Factory::new(), Factory::new());
    let src = template_dir(a.dir.path(), "mini", "1.0.0", |m| m);
    let out = a.run(&["templates", "import", path_str(&src)]).ok().stdout;
    assert!(out.starts_with("imported mini 1.0.0 into "), "{out}");
    let listed = list(&a);
    let mini = find(&listed, "mini", "1.0.0").unwrap();
    assert_eq!((mini["source"].as_str(), mini["stack"][1].as_str()), (Some("imported"), Some("fastapi")));

    let archive = a.dir.path().join("mini.tar.gz");
    a.run(&["templates", "export", "mini@1.0.0", "--out", path_str(&archive)]).ok();
    b.run(&["templates", "import", path_str(&archive)]).ok();
    let on_b = b.data_dir().join("templates/mini/1.0.0");
    assert_eq!(tree(&on_b), tree(&src), "same files, byte for byte");

    // Built-ins export too, and the archive is the same every time.
    let neo1 = a.dir.path().join("neo1.tgz");
    let neo2 = a.dir.path().join("neo2.tgz");
    a.run(&["templates", "export", "neoforge", "--out", path_str(&neo1)]).ok();
    a.run(&["templates", "export", "neoforge", "--out", path_str(&neo2)]).ok();
    assert_eq!(fs::read(&neo1).unwrap(), fs::read(&neo2).unwrap());
    refused(&b, &["templates", "import", path_str(&neo1)], "neoforge@1.0.0 is built in");
}

#[test]
fn versions_live_side_by_side_and_a_run_keeps_its_version() {
    let f = Factory::new();
    let root = f.dir.path();
    let v1 = template_dir(root, "mini", "1.0.0", |m| m);
    let v2 = template_dir(root, "mini", "2.0.0", |m| m);
    let v15 = template_dir(root, "mini", "1.5.0", |m| m);
    f.run(&["templates", "import", path_str(&v1)]).ok();
    f.run(&["new", "--name", "Old", "--idea", "x", "--template", "mini"]).ok();
    f.run(&["templates", "import", path_str(&v2)]).ok();
    f.run(&["new", "--name", "New", "--idea", "x", "--template", "mini"]).ok();
    f.run(&["new", "--name", "Pinned", "--idea", "x", "--template", "mini@1.0.0"]).ok();
    let status = f.status();
    let version = |id: &str| Factory::startup(&status, id)["template_version"].as_str().unwrap().to_string();
    assert_eq!((version("s-01"), version("s-02"), version("s-03")), ("1.0.0".into(), "2.0.0".into(), "1.0.0".into()));
    assert_eq!(Factory::startup(&status, "s-01")["ports"]["api"], 9110);

    refused(&f, &["templates", "import", path_str(&v15)], "mini@1.5.0 is older than the installed 2.0.0; add --force");
    refused(&f, &["templates", "import", path_str(&v1)], "mini@1.0.0 is already installed");
    let out = f.run(&["templates", "import", path_str(&v15), "--force"]).ok().stdout;
    assert!(out.contains("2.0.0 stays the default"), "{out}");
    let versions: Vec<String> = list(&f)["templates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "mini")
        .map(|t| t["version"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(versions, ["2.0.0", "1.5.0", "1.0.0"]);
    let l = list(&f);
    assert_eq!(find(&l, "mini", "1.0.0").unwrap()["runs"], 2);
    assert_eq!(find(&l, "mini", "2.0.0").unwrap()["latest"], true);
}

#[test]
fn remove_is_refused_while_a_live_run_uses_the_version() {
    let f = Factory::new();
    let v1 = template_dir(f.dir.path(), "mini", "1.0.0", |m| m);
    f.run(&["templates", "import", path_str(&v1)]).ok();
    f.run(&["new", "--name", "A", "--idea", "x", "--template", "mini"]).ok();
    refused(&f, &["templates", "remove", "mini@1.0.0"], "mini@1.0.0 is used by live run s-01 (queued)");
    refused(&f, &["templates", "remove", "mini"], "say which version of `mini` to remove");
    refused(&f, &["templates", "remove", "neoforge@1.0.0"], "neoforge@1.0.0 is built in and cannot be removed");
    refused(&f, &["templates", "remove", "mini@9.9.9"], "template `mini` has no version 9.9.9");
    f.run(&["cancel", "s-01"]).ok();
    let out = f.run(&["templates", "remove", "mini@1.0.0"]).ok().stdout;
    assert!(out.starts_with("removed mini@1.0.0"), "{out}");
    assert!(find(&list(&f), "mini", "1.0.0").is_none());
    assert!(installed(&f).is_empty(), "{:?}", installed(&f));
    let status = f.run(&["status", "s-01"]).ok().stdout;
    assert!(status.contains("template mini 1.0.0"), "a finished run keeps its record: {status}");
}

#[test]
fn new_makes_a_template_in_the_user_folder_to_edit() {
    let f = Factory::new();
    let out = f.run(&["templates", "new", "myforge", "--from", "neoforge"]).ok().stdout;
    let folder = f.dir.path().join("config/startup-factory/templates/myforge");
    assert!(out.contains(&folder.display().to_string()), "{out}");
    let manifest = fs::read_to_string(folder.join("template.toml")).unwrap();
    assert!(manifest.contains("name = \"myforge\"\nversion = \"0.1.0\""), "{manifest}");
    fs::write(folder.join("files/NOTES.md"), "# Notes for {{ name }}\n").unwrap();
    let l = list(&f);
    let mine = find(&l, "myforge", "0.1.0").unwrap();
    assert_eq!(mine["source"], "user");
    f.run(&["new", "--name", "Mine", "--idea", "x", "--template", "myforge"]).ok();
    f.run(&["run", "--headless", "--exit-when-idle", "--quiet", "--auto-approve"]).ok();
    let ws = PathBuf::from(Factory::startup(&f.status(), "s-01")["workspace"].as_str().unwrap().to_string());
    assert_eq!(fs::read_to_string(ws.join("app/NOTES.md")).unwrap(), "# Notes for Mine\n");
    refused(&f, &["templates", "new", "myforge", "--from", "neoforge"], "a template named `myforge` already exists");
    refused(&f, &["templates", "new", "Bad Name", "--from", "neoforge"], "`Bad Name` is not a template name");
    refused(&f, &["templates", "new", "other", "--from", "cobol"], "no template named `cobol`");
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn imports_from_a_git_url_and_says_so_when_one_does_not_clone() {
    if std::process::Command::new("git").arg("--version").output().is_err() {
        common::skip_or_fail("git is not installed");
        return;
    }
    let f = Factory::new();
    let src = template_dir(f.dir.path(), "gitmini", "1.0.0", |m| m);
    let bare = f.dir.path().join("remote.git");
    fs::create_dir(&bare).unwrap();
    git(&bare, &["init", "--bare", "--quiet"]);
    git(&src, &["init", "--quiet"]);
    git(&src, &["add", "."]);
    git(&src, &["commit", "--quiet", "-m", "template"]);
    git(&src, &["push", "--quiet", path_str(&bare), "HEAD:refs/heads/main"]);
    git(&bare, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    let url = format!("file://{}", bare.display());
    f.run(&["templates", "import", &url]).ok();
    let on_disk = f.data_dir().join("templates/gitmini/1.0.0");
    let mut want = tree(&src);
    want.retain(|(p, _)| !p.starts_with(".git/"));
    assert_eq!(tree(&on_disk), want);

    let missing = format!("file://{}/nowhere.git", f.dir.path().display());
    refused(&f, &["templates", "import", &missing], "git could not clone");
}

#[test]
fn bad_templates_are_refused_with_nothing_installed() {
    let f = Factory::new();
    let root = f.dir.path();
    let import = |p: &Path| vec!["templates".to_string(), "import".into(), path_str(p).to_string()];
    let check = |p: &Path, needle: &str| {
        let args = import(p);
        refused(&f, &args.iter().map(String::as_str).collect::<Vec<_>>(), needle);
    };

    let missing = template_dir(root, "nostack", "1.0.0", |m| m.replace("stack = [\"python\", \"fastapi\"]\n", ""));
    check(&missing, "template.toml, line 1: missing key `stack`");
    let semver = template_dir(root, "badver", "1.0", |m| m);
    check(&semver, "`version` = \"1.0\" is not a semantic version");
    let newer = template_dir(root, "future", "1.0.0", |m| m.replace("\"0.1.0\"", "\"99.0.0\""));
    check(&newer, "needs factory 99.0.0 or newer, and this is 0.1.0");
    let not_a_template = root.join("just-a-folder");
    fs::create_dir_all(&not_a_template).unwrap();
    fs::write(not_a_template.join("notes.txt"), "hello").unwrap();
    check(&not_a_template, "it is not a template: it has no template.toml");
    let linked = template_dir(root, "linked", "1.0.0", |m| m);
    std::os::unix::fs::symlink("/etc/passwd", linked.join("files/src/passwd")).unwrap();
    check(&linked, "files/src/passwd is a symlink pointing outside the template (to `/etc/passwd`)");
    let big = template_dir(root, "big", "1.0.0", |m| m);
    fs::write(big.join("files/big.txt"), vec![b'x'; (1 << 20) + 1]).unwrap();
    check(&big, "files/big.txt is 1048577 bytes, over the limit");
    let broken = template_dir(root, "broken", "1.0.0", |m| m);
    fs::write(broken.join("files/oops.txt"), "{{ not_a_variable }}").unwrap();
    check(&broken, "does not render");
    check(&root.join("no-such-thing"), "there is no such folder or file");

    let manifest = fs::read(template_dir(root, "arch", "1.0.0", |m| m).join("template.toml")).unwrap();
    let t = tar::EntryType::Regular;
    let cases: [(&str, Vec<Entry>, &str); 5] = [
        ("dotdot.tar.gz", vec![("arch/../../evil.txt", t, b"x", None)], "`arch/../../evil.txt` climbs out"),
        ("absolute.tar.gz", vec![("/tmp/evil.txt", t, b"x", None)], "`/tmp/evil.txt` has an absolute path"),
        (
            "symlink.tar.gz",
            vec![("arch/files/x", tar::EntryType::Symlink, b"", Some("../../../../etc/passwd"))],
            "`arch/files/x` is a symlink pointing outside the template",
        ),
        ("big.tar.gz", vec![("arch/files/big.txt", t, &[b'x'; (1 << 20) + 1], None)], "over the limit of 1048576"),
        ("notemplate.tar.gz", vec![("a/readme.txt", t, b"x", None), ("b/x", t, b"y", None)], "it is not a template"),
    ];
    for (file, mut entries, needle) in cases {
        entries.insert(0, ("arch/template.toml", t, &manifest, None));
        let path = root.join(file);
        raw_tar_gz(&path, &entries);
        check(&path, needle);
    }
    assert!(!root.join("evil.txt").exists() && !f.data_dir().join("evil.txt").exists());
    let plain = root.join("plain.txt");
    fs::write(&plain, "hello").unwrap();
    check(&plain, "neither a folder, a .tar.gz archive nor a git URL");
}

#[test]
fn a_refused_import_leaves_no_data_directory_behind() {
    let f = Factory::new();
    let bad = template_dir(f.dir.path(), "badver", "1.0", |m| m);
    let out = f.run(&["templates", "import", path_str(&bad)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!f.data_dir().exists(), "the data directory was created for a refused import");
}

#[test]
fn a_run_on_each_builtin_template_completes_with_its_skeleton() {
    let f = Factory::new();
    // The scaffolds only: the templates' checks have their own tests (`tests/build_checks.rs`).
    let cfg = f.write("fast.toml", &format!("[sim]\nlatency_ms = 0\n\n{}", common::NO_CHECKS));
    let cfg = path_str(&cfg);
    let expect = [
        ("fluttermobile", "pubspec.yaml"),
        ("neoforge", "backend/app/main.py"),
        ("pythonml", "app/model.py"),
        ("reactnext", "app/page.tsx"),
        ("vuenuxt", "nuxt.config.ts"),
    ];
    for (template, _) in expect {
        f.run(&["--config", cfg, "new", "--name", &format!("On {template}"), "--idea", "x", "--template", template])
            .ok();
    }
    f.run(&["--config", cfg, "run", "--headless", "--exit-when-idle", "--quiet", "--auto-approve", "--simulate"]).ok();
    let status = f.status();
    let mut ports = std::collections::HashSet::new();
    for (k, (template, file)) in expect.iter().enumerate() {
        let run = Factory::startup(&status, &format!("s-{:02}", k + 1));
        assert_eq!((run["status"].as_str(), run["template"].as_str()), (Some("completed"), Some(*template)), "{run}");
        let ws = Path::new(run["workspace"].as_str().unwrap());
        assert!(ws.join("app").join(file).is_file(), "{template}: app/{file} was not scaffolded");
        for p in run["ports"].as_object().unwrap().values() {
            assert!(ports.insert(p.as_u64().unwrap()), "{template}: port {p} is another run's");
        }
    }
    let l = list(&f);
    for (template, _) in expect {
        let t = find(&l, template, "1.0.0").unwrap();
        assert_eq!(
            (t["runs"].as_u64(), t["rating"].as_f64(), t["auto_approved_g3"].as_u64()),
            (Some(1), None, Some(1)),
            "{template}"
        );
    }
}

/// Under `CI=true`, a missing git fails the git import test instead of skipping it (the
/// test runs itself again with no git on `PATH`).
#[test]
fn under_ci_a_missing_git_fails_the_test_instead_of_skipping_it() {
    if std::env::var_os("FACTORY_INNER_TEST").is_some() {
        return;
    }
    let (passed, text) =
        common::rerun_under_ci_without_tools("imports_from_a_git_url_and_says_so_when_one_does_not_clone");
    assert!(!passed && text.contains("git is not installed"), "it passed without git:\n{text}");
}
