//! Small template folders for tests.

use std::fs;
use std::path::Path;

/// Writes a minimal valid template into `dir`.
pub fn write_template(dir: &Path, name: &str, version: &str) {
    fs::create_dir_all(dir.join("files/src")).unwrap();
    fs::write(
        dir.join("template.toml"),
        format!(
            "# A test template.\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"Test.\"\nstack = [\"python\"]\nmin_factory_version = \"0.1.0\"\n\n[ports]\nweb = 9000\n\n[[plan]]\nid = \"a\"\nrole = \"backend\"\ntitle = \"A\"\nfiles = [\"src/a.py\"]\n"
        ),
    )
    .unwrap();
    fs::write(dir.join("files/README.md"), "# {{ name }}\n\nPort {{ ports.web }}.\n").unwrap();
    fs::write(dir.join("files/src/main.py"), "NAME = {{ name | tojson }}\n").unwrap();
}
