//! Moving a freshly built venv from its staging path to its final place.
//!
//! A venv is not relocatable: `bin/activate*` and the shebangs of console
//! scripts name the env's absolute path. The version (and so the final path)
//! is only known after the lock and the bundle exist, so the env is built at
//! a staging path on the same filesystem, renamed into place (atomic), and
//! then every text file in `bin/` plus `pyvenv.cfg` has the staging prefix
//! rewritten to the final one. Python itself finds its prefix from
//! `pyvenv.cfg` at run time; pip is told `--no-compile` so no `.pyc` records
//! the staging path. The staging basename equals the final one (`venv`), so
//! prompts derived from it stay right.

use std::fs;
use std::io;
use std::path::Path;

/// Renames `from` to `to` and rewrites the recorded prefix. `to` must not
/// exist; its parent must.
pub fn move_env(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    fix_prefix(to, from, to)
}

/// Rewrites `old` to `new` in `env/bin/*` text files and `env/pyvenv.cfg`.
pub fn fix_prefix(env: &Path, old: &Path, new: &Path) -> io::Result<()> {
    let old_s = old.to_string_lossy().into_owned();
    let new_s = new.to_string_lossy().into_owned();
    let mut files = vec![env.join("pyvenv.cfg")];
    if let Ok(entries) = fs::read_dir(env.join("bin")) {
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                files.push(entry.path());
            }
        }
    }
    for file in files {
        let Ok(bytes) = fs::read(&file) else { continue };
        // Binaries (a copied interpreter) are left alone.
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if !text.contains(&old_s) {
            continue;
        }
        let perms = fs::metadata(&file)?.permissions();
        let tmp = file.with_extension("swrt-relocate");
        fs::write(&tmp, text.replace(&old_s, &new_s))?;
        fs::set_permissions(&tmp, perms)?;
        fs::rename(&tmp, &file)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn scripts_and_config_follow_the_move() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("staging/venv");
        let to = dir.path().join("final/venv");
        fs::create_dir_all(from.join("bin")).unwrap();
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        let script = from.join("bin/tool");
        fs::write(
            &script,
            format!("#!{}/bin/python\nimport tool\n", from.display()),
        )
        .unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(from.join("bin/blob"), [0xff, 0xfe, 0x00]).unwrap();
        fs::write(
            from.join("pyvenv.cfg"),
            format!(
                "home = /usr/bin\ncommand = python -m venv {}\n",
                from.display()
            ),
        )
        .unwrap();
        move_env(&from, &to).unwrap();
        let text = fs::read_to_string(to.join("bin/tool")).unwrap();
        assert_eq!(
            text,
            format!("#!{}/bin/python\nimport tool\n", to.display())
        );
        let mode = fs::metadata(to.join("bin/tool"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        assert!(
            fs::read_to_string(to.join("pyvenv.cfg"))
                .unwrap()
                .contains(&to.display().to_string())
        );
        assert_eq!(
            fs::read(to.join("bin/blob")).unwrap(),
            vec![0xff, 0xfe, 0x00]
        );
        assert!(!from.exists());
    }
}
