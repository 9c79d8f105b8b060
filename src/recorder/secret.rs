//! The area's server secret: 32 random bytes (hex) in `<area>/.megatest-secret`, a file only
//! its owner may read. An executor on another host proves with it that it belongs to the
//! area before the server takes any of its requests. It never appears on a command line or
//! in an environment.

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The secret file of the area at `top`.
pub fn secret_path(top: &Path) -> PathBuf {
    top.join(".megatest-secret")
}

/// Reads the area's secret; refuses a file others may read.
pub fn read_secret(top: &Path) -> Result<String> {
    let path = secret_path(top);
    let mut file = std::fs::File::open(&path).map_err(|e| {
        Error::new(format!(
            "cannot read the area's secret `{}`: {e}",
            path.display()
        ))
    })?;
    let mode = file
        .metadata()
        .map_err(|e| Error::new(format!("cannot read `{}`: {e}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::new(format!(
            "the area's secret `{}` may be read by others (mode {:o})",
            path.display(),
            mode & 0o777
        ))
        .note("make it the owner's only (chmod 600), or remove it: the next run makes a new one"));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| Error::new(format!("cannot read `{}`: {e}", path.display())))?;
    let secret = text.trim().to_string();
    if secret.len() < 32 {
        return Err(Error::new(format!(
            "the area's secret `{}` is too short",
            path.display()
        ))
        .note("remove it: the next run makes a new one"));
    }
    Ok(secret)
}

/// The area's secret, made now (mode 0600) when the area has none.
pub fn area_secret(top: &Path) -> Result<String> {
    let path = secret_path(top);
    if !path.exists() {
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(|e| Error::new(format!("cannot read /dev/urandom: {e}")))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        // Another runner may make it at the same moment: the first one's stays.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(mut file) => {
                file.write_all(format!("{hex}\n").as_bytes())
                    .map_err(|e| Error::new(format!("cannot write `{}`: {e}", path.display())))?;
                // The umask may have taken bits off, never added them; still, be exact.
                let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // Its maker may still be writing it.
                for _ in 0..20 {
                    if read_secret(top).is_ok() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
            Err(e) => {
                return Err(Error::new(format!(
                    "cannot make the area's secret `{}`: {e}",
                    path.display()
                )));
            }
        }
    }
    read_secret(top)
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_made_once_for_the_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let first = area_secret(dir.path()).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(area_secret(dir.path()).unwrap(), first);
        let mode = std::fs::metadata(secret_path(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::set_permissions(
            secret_path(dir.path()),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let refused = read_secret(dir.path()).unwrap_err();
        assert!(
            refused.message.contains("may be read by others"),
            "{}",
            refused.message
        );
        assert!(same_secret(&first, &first));
        assert!(!same_secret(&first, &first[1..]));
        assert!(!same_secret("ab", "ac"));
    }
}
