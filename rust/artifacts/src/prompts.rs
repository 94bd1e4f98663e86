//! Collecting every prompt answer up front, before any generator runs, so
//! that generation itself is unattended and parallel. Answers come from
//! `--prompt`, `--prompt-stdin` or, on a terminal, from the user.

use crate::manifest::{Prompt, PromptKind};
use crate::plan::Node;
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Read, Write};
use zeroize::Zeroizing;

/// One prompt's answer, wiped from memory when dropped.
pub type Answer = Zeroizing<Vec<u8>>;

/// `[SCOPE/]ARTIFACT.PROMPT`: which prompt an answer is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scope: Option<String>,
    pub artifact: String,
    pub prompt: String,
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (scope, rest) = match s.split_once('/') {
            Some((scope, rest)) => (Some(scope.to_string()), rest),
            None => (None, s),
        };
        let (artifact, prompt) = rest
            .split_once('.')
            .ok_or_else(|| format!("`{s}` is not ARTIFACT.PROMPT or MACHINE/ARTIFACT.PROMPT"))?;
        if artifact.is_empty() || prompt.is_empty() {
            return Err(format!(
                "`{s}` is not ARTIFACT.PROMPT or MACHINE/ARTIFACT.PROMPT"
            ));
        }
        Ok(Target {
            scope,
            artifact: artifact.to_string(),
            prompt: prompt.to_string(),
        })
    }
}

impl Target {
    /// How specific a match is: a scoped answer beats an unscoped one.
    fn matches(&self, node: &Node, prompt: &str) -> Option<u8> {
        if self.artifact != node.artifact.name || self.prompt != prompt {
            return None;
        }
        match &self.scope {
            None => Some(1),
            Some(scope) if *scope == node.scope.name => Some(2),
            Some(_) => None,
        }
    }
}

/// Answers given on the command line (never echoed back anywhere).
#[derive(Default)]
pub struct Given {
    pub values: Vec<(Target, Answer)>,
}

impl Given {
    /// Parses `--prompt TARGET=VALUE`.
    pub fn add_value(&mut self, arg: &str) -> Result<(), String> {
        let (target, value) = arg.split_once('=').ok_or_else(|| {
            "--prompt takes TARGET=VALUE, e.g. --prompt test.test=hello".to_string()
        })?;
        self.values
            .push((target.parse()?, Zeroizing::new(value.as_bytes().to_vec())));
        Ok(())
    }

    /// `--prompt-stdin TARGET`: the answer is all of standard input, byte
    /// for byte (keeps secrets out of argv and shell history).
    pub fn add_stdin(&mut self, target: &str) -> Result<(), String> {
        let mut value = Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut value)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        self.values.push((target.parse()?, value));
        Ok(())
    }

    /// Answers that match no prompt being asked (most likely a typo), each
    /// as a sentence naming the closest prompts that are asked.
    pub fn unused(&self, nodes: &[(usize, &Node)]) -> Vec<String> {
        self.values
            .iter()
            .filter(|(target, _)| {
                !nodes.iter().any(|(_, node)| {
                    node.artifact
                        .prompts
                        .keys()
                        .any(|p| target.matches(node, p).is_some())
                })
            })
            .map(|(t, _)| {
                let scope = t
                    .scope
                    .as_ref()
                    .map(|s| format!("{s}/"))
                    .unwrap_or_default();
                let typed = format!("{scope}{}.{}", t.artifact, t.prompt);
                // Offer the prompts in the form the user wrote them.
                let asked: Vec<String> = nodes
                    .iter()
                    .flat_map(|(_, n)| {
                        n.artifact.prompts.keys().map(move |p| match t.scope {
                            Some(_) => format!("{}.{p}", n.label()),
                            None => format!("{}.{p}", n.artifact.name),
                        })
                    })
                    .collect();
                let mut message = format!("the answer for {typed} matches no prompt being asked");
                if let Some(hint) =
                    crate::suggest::did_you_mean(&typed, asked.iter().map(String::as_str))
                {
                    message.push_str(&format!("; {hint}"));
                }
                message
            })
            .collect()
    }

    fn find(&self, node: &Node, prompt: &str) -> Option<&Answer> {
        self.values
            .iter()
            .filter_map(|(t, v)| t.matches(node, prompt).map(|rank| (rank, v)))
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, v)| v)
    }
}

/// Answers for each node (by index), prompt name → bytes.
pub type Answers = BTreeMap<usize, BTreeMap<String, Answer>>;

/// Resolves every prompt of `nodes` (index, node). Without a terminal, any
/// prompt lacking an answer is an error, reported before anything runs.
pub fn collect(nodes: &[(usize, &Node)], given: &Given) -> Result<Answers, Vec<String>> {
    let interactive = std::io::stdin().is_terminal();
    let mut unanswered = Vec::new();
    for (_, node) in nodes {
        for name in node.artifact.prompts.keys() {
            if given.find(node, name).is_none() {
                let target = format!("{}.{name}", node.label());
                unanswered.push(format!(
                    "{}, artifact {}: prompt `{name}` needs an answer but there is no terminal to ask on\n  hint: pass --prompt-stdin {target} (the value on standard input) or --prompt {target}=VALUE",
                    node.scope, node.artifact.name
                ));
            }
        }
    }
    if !interactive && !unanswered.is_empty() {
        return Err(unanswered);
    }
    let mut answers = Answers::new();
    for (index, node) in nodes {
        let mut mine = BTreeMap::new();
        for (name, prompt) in &node.artifact.prompts {
            let answer = match given.find(node, name) {
                Some(v) => v.clone(),
                None => ask(node, prompt).map_err(|e| vec![format!("{}: {e}", node.label())])?,
            };
            mine.insert(name.clone(), answer);
        }
        answers.insert(*index, mine);
    }
    Ok(answers)
}

fn ask(node: &Node, prompt: &Prompt) -> Result<Answer, String> {
    let what = prompt.description.as_deref().unwrap_or(&prompt.name);
    let header = format!("{} · {what}", node.label());
    let tty_error = |e: std::io::Error| {
        // rpassword reads the terminal raw: it sees Ctrl-C as a key, raises
        // SIGINT and returns this error, racing the handler; end it here.
        if e.kind() == std::io::ErrorKind::Interrupted {
            crate::interrupt::quit_asking();
        }
        format!("cannot read from the terminal: {e}")
    };
    match prompt.kind {
        PromptKind::Hidden => loop {
            let first = Zeroizing::new(
                rpassword::prompt_password(format!("{header} (hidden): ")).map_err(tty_error)?,
            );
            // Enter alone is more often a slip than a wish for an empty
            // secret; a prompt that means it says so (allowEmpty).
            if first.is_empty() && !prompt.allow_empty {
                eprintln!("The answer is empty; please type a value.");
                continue;
            }
            let again = Zeroizing::new(
                rpassword::prompt_password("again to confirm: ").map_err(tty_error)?,
            );
            if *first == *again {
                return Ok(Zeroizing::new(first.as_bytes().to_vec()));
            }
            eprintln!("The two entries differ; please try again.");
        },
        PromptKind::Line => {
            eprint!("{header}: ");
            std::io::stderr().flush().ok();
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(tty_error)?;
            let trimmed = line.trim_end_matches(['\n', '\r']);
            Ok(Zeroizing::new(trimmed.as_bytes().to_vec()))
        }
        PromptKind::Multiline => {
            eprintln!("{header} (end with Ctrl-D on an empty line):");
            let mut text = Zeroizing::new(Vec::new());
            std::io::stdin()
                .lock()
                .read_to_end(&mut text)
                .map_err(tty_error)?;
            Ok(text)
        }
    }
}
