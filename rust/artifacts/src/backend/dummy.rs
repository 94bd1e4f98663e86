//! dummy: nothing is stored in the flake; the machine runs the generator
//! itself at boot and activation (`artifacts machine …`, wired by
//! modules/backends/dummy.nix). For test setups: values are throwaway.

use super::Backend;
use crate::identities::Identities;
use crate::keys::{KeyError, Recipient};
use std::io::{Read, Write};

pub struct Dummy;

const NOTHING: &str = "the dummy backend stores nothing: the machine generates the files itself";

impl Backend for Dummy {
    fn name(&self) -> &'static str {
        "dummy"
    }

    fn stores_in_flake(&self) -> bool {
        false
    }

    fn stored_name(&self, file: &str) -> String {
        file.to_string()
    }

    fn check_recipients(&self, _: &[Recipient]) -> Result<(), KeyError> {
        Ok(())
    }

    fn seal(&self, _: &mut dyn Read, _: &mut dyn Write, _: &[Recipient]) -> Result<(), String> {
        Err(NOTHING.into())
    }

    fn open(&self, _: &mut dyn Read, _: &mut dyn Write, _: &Identities) -> Result<(), String> {
        Err(NOTHING.into())
    }
}
