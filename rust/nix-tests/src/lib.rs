//! Helpers shared by the Nix-side tests live here.
