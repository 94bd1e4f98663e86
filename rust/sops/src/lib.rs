//! placeholder, filled in by the sops work
