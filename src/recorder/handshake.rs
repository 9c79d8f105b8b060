//! The TCP greeting: each end proves that it holds the area's secret without sending it,
//! by an HMAC-SHA256 over both ends' random nonces. Someone who watches the network, or a
//! listener that is not the area's server, learns nothing it could use again.

use crate::error::{Error, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Read;

/// Random bytes in a nonce.
const NONCE_BYTES: usize = 16;

/// The longest nonce taken from a peer (hex digits).
pub(super) const LONGEST_NONCE: usize = 128;

/// A fresh random nonce, in hex.
pub(super) fn nonce() -> Result<String> {
    let mut bytes = [0u8; NONCE_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::new(format!("cannot read /dev/urandom: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The server's proof, answering the client's nonce with its own.
pub(super) fn server_proof(secret: &str, client_nonce: &str, server_nonce: &str) -> String {
    mac(secret, &["megatest-server", client_nonce, server_nonce])
}

/// The client's proof, for the database it names.
pub(super) fn client_proof(
    secret: &str,
    client_nonce: &str,
    server_nonce: &str,
    db: &str,
) -> String {
    mac(secret, &["megatest-client", client_nonce, server_nonce, db])
}

/// Whether `given` is the proof `expected`, compared in constant time.
pub(super) fn proven(expected: &str, given: &str) -> bool {
    super::secret::same_secret(expected, given)
}

fn mac(secret: &str, parts: &[&str]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    for part in parts {
        // Lengths first: ("ab", "c") and ("a", "bc") are different messages.
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_depend_on_everything_and_are_not_the_secret() {
        let secret = "0123456789abcdef0123456789abcdef";
        let (c, s) = (nonce().unwrap(), nonce().unwrap());
        assert_eq!(c.len(), 2 * NONCE_BYTES);
        assert_ne!(c, s);
        let proof = client_proof(secret, &c, &s, "/a/megatest.db");
        assert_eq!(proof.len(), 64);
        assert!(!proof.contains(secret));
        assert!(proven(
            &proof,
            &client_proof(secret, &c, &s, "/a/megatest.db")
        ));
        assert!(!proven(
            &proof,
            &client_proof(secret, &c, &s, "/b/megatest.db")
        ));
        assert!(!proven(
            &proof,
            &client_proof(secret, &s, &c, "/a/megatest.db")
        ));
        assert!(!proven(
            &proof,
            &client_proof("another", &c, &s, "/a/megatest.db")
        ));
        assert_ne!(
            server_proof(secret, &c, &s),
            client_proof(secret, &c, &s, "")
        );
        assert_ne!(mac(secret, &["ab", "c"]), mac(secret, &["a", "bc"]));
    }
}
