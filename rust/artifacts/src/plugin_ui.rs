//! What an age plugin (`age-plugin-yubikey`, `age-plugin-tpm`, …) may ask
//! of the person running the CLI, while it wraps or unwraps a file key:
//! its messages ("touch your YubiKey") go to standard error; a PIN, a
//! value or a yes/no question is asked on the terminal, one at a time.
//! Without a terminal nothing is asked: the plugin is told no, fails with
//! its own reason, and a line here says why (no terminal to ask on).

use age::secrecy::SecretString;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};

/// One question on the terminal at a time: files are stored in parallel,
/// and each may start a plugin.
static TERMINAL: Mutex<()> = Mutex::new(());

#[derive(Clone)]
pub struct PluginUi {
    /// Who is speaking, before each line: the plugin's program, or the
    /// identity file it was started for.
    speaker: Arc<str>,
}

impl PluginUi {
    pub fn new(speaker: impl Into<Arc<str>>) -> PluginUi {
        PluginUi {
            speaker: speaker.into(),
        }
    }

    /// `None` (refused) without a terminal, after saying so.
    fn ask<T>(&self, what: &str, ask: impl FnOnce() -> std::io::Result<T>) -> Option<T> {
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "{}: asks for {what}, but there is no terminal to ask on; refused\n  hint: run the command on a terminal, or use an identity that needs no interaction",
                self.speaker
            );
            return None;
        }
        let _turn = TERMINAL.lock().unwrap_or_else(|e| e.into_inner());
        match ask() {
            Ok(answer) => Some(answer),
            // rpassword reads the terminal raw and sees Ctrl-C as a key.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                crate::interrupt::quit_asking()
            }
            Err(e) => {
                eprintln!("{}: cannot read from the terminal: {e}", self.speaker);
                None
            }
        }
    }

    fn read_line(&self, question: &str) -> std::io::Result<String> {
        eprint!("{}: {question}", self.speaker);
        std::io::stderr().flush().ok();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\n', '\r']).to_string())
    }
}

impl age::Callbacks for PluginUi {
    fn display_message(&self, message: &str) {
        eprintln!("{}: {message}", self.speaker);
    }

    fn confirm(&self, message: &str, yes: &str, no: Option<&str>) -> Option<bool> {
        let no = no.unwrap_or("no");
        self.ask("a confirmation", || loop {
            let answer = self.read_line(&format!("{message} [{yes}/{no}]: "))?;
            if answer.eq_ignore_ascii_case(yes) {
                return Ok(true);
            }
            if answer.eq_ignore_ascii_case(no) {
                return Ok(false);
            }
            eprintln!("Please answer {yes} or {no}.");
        })
    }

    fn request_public_string(&self, description: &str) -> Option<String> {
        self.ask("a value", || self.read_line(&format!("{description}: ")))
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        self.ask("a PIN or passphrase", || {
            let typed = zeroize::Zeroizing::new(rpassword::prompt_password(format!(
                "{}: {description} (hidden): ",
                self.speaker
            ))?);
            // Copied, so that the typed String is wiped, whatever its capacity.
            Ok(SecretString::from(typed.as_str()))
        })
    }
}
