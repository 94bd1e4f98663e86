//! Collecting every prompt answer up front, before any generator runs, so
//! that generation itself is unattended and parallel. Answers come from
//! `--prompt`, `--prompt-stdin` or, on a terminal, from the user.

use crate::eval::manifest::{Prompt, PromptKind};
use crate::plan::Node;
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Read, Write};
use zeroize::Zeroizing;

/// One prompt's answer, wiped from memory when dropped.
pub type Answer = Zeroizing<Vec<u8>>;

/// Which prompt an answer is for, once resolved against the declared
/// names (see [`Typed::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scope: Option<String>,
    pub artifact: String,
    pub prompt: String,
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

    /// `MACHINE/ARTIFACT/PROMPT` (or `ARTIFACT/PROMPT` unscoped): names
    /// never hold a slash, so this form is never ambiguous.
    fn slashed(&self) -> String {
        match &self.scope {
            Some(scope) => format!("{scope}/{}/{}", self.artifact, self.prompt),
            None => format!("{}/{}", self.artifact, self.prompt),
        }
    }
}

/// The slash form of one node's prompt, as hints and lists show it.
fn slash_form(node: &Node, prompt: &str) -> String {
    format!("{}/{}/{prompt}", node.scope.name, node.artifact.name)
}

/// A target as typed: `MACHINE/ARTIFACT/PROMPT`, or the dotted
/// `[MACHINE/]ARTIFACT.PROMPT`, which only the declared names can split
/// (artifact and prompt names may both hold dots).
const FORMS: &str = "MACHINE/ARTIFACT/PROMPT, ARTIFACT.PROMPT or MACHINE/ARTIFACT.PROMPT";

fn resolve(typed: &str, nodes: &[Node]) -> Result<Target, String> {
    let parts: Vec<&str> = typed.split('/').collect();
    if parts.iter().any(|p| p.is_empty()) || parts.len() > 3 {
        return Err(format!("`{typed}` is not {FORMS}"));
    }
    let (scope, artifact, dotted) = match parts.as_slice() {
        [scope, artifact, prompt] => (Some(*scope), Some((*artifact, *prompt)), None),
        [scope, dotted] => (Some(*scope), None, Some(*dotted)),
        [dotted] => (None, None, Some(*dotted)),
        _ => unreachable!("one to three parts"),
    };
    if dotted.is_some_and(|d| !d.contains('.')) {
        return Err(format!("`{typed}` is not {FORMS}"));
    }
    // Every declared prompt the typed target can mean, as (node, prompt).
    let in_scope = nodes
        .iter()
        .filter(|n| scope.is_none_or(|s| n.scope.name == s));
    let mut found: Vec<(&Node, &str)> = Vec::new();
    for node in in_scope {
        for prompt in node.artifact.prompts.keys() {
            let hit = match (artifact, dotted) {
                (Some((a, p)), _) => node.artifact.name == a && prompt == p,
                (None, Some(d)) => {
                    d.strip_prefix(node.artifact.name.as_str())
                        .and_then(|rest| rest.strip_prefix('.'))
                        == Some(prompt.as_str())
                }
                (None, None) => false,
            };
            if hit {
                found.push((node, prompt));
            }
        }
    }
    let mut splits: Vec<(&str, &str)> = found
        .iter()
        .map(|(n, p)| (n.artifact.name.as_str(), *p))
        .collect();
    splits.sort();
    splits.dedup();
    match splits.as_slice() {
        [(artifact, prompt)] => Ok(Target {
            scope: scope.map(str::to_string),
            artifact: artifact.to_string(),
            prompt: prompt.to_string(),
        }),
        [] => {
            // Offer the declared prompts in the form the user wrote.
            let known: Vec<String> = nodes
                .iter()
                .flat_map(|n| {
                    n.artifact
                        .prompts
                        .keys()
                        .map(move |p| match (scope, artifact) {
                            (_, Some(_)) => slash_form(n, p),
                            (Some(_), None) => format!("{}.{p}", n.label()),
                            (None, None) => format!("{}.{p}", n.artifact.name),
                        })
                })
                .collect();
            let mut message = format!("`{typed}` names no prompt of this run");
            match crate::suggest::did_you_mean(typed, known.iter().map(String::as_str)) {
                Some(hint) => message.push_str(&format!("; {hint}")),
                None if known.is_empty() => {
                    message.push_str(" (the selected artifacts ask no prompt)")
                }
                None => {
                    let mut all: Vec<String> = nodes
                        .iter()
                        .flat_map(|n| n.artifact.prompts.keys().map(move |p| slash_form(n, p)))
                        .collect();
                    all.sort();
                    all.dedup();
                    message.push_str(&format!(
                        "; the prompts are {}",
                        crate::suggest::list(all.iter().map(String::as_str))
                    ));
                }
            }
            Err(message)
        }
        many => {
            let candidates: Vec<String> = many
                .iter()
                .map(|(a, p)| {
                    let t = Target {
                        scope: scope.map(str::to_string),
                        artifact: a.to_string(),
                        prompt: p.to_string(),
                    };
                    format!("`{}`", t.slashed())
                })
                .collect();
            Err(format!(
                "`{typed}` is ambiguous: it can mean {}\n  hint: use the slash form MACHINE/ARTIFACT/PROMPT, which names never hold",
                candidates.join(" or ")
            ))
        }
    }
}

/// Answers as typed on the command line, not yet resolved.
#[derive(Default)]
pub struct Typed {
    values: Vec<(String, Answer)>,
}

impl Typed {
    /// Parses `--prompt TARGET=VALUE`.
    pub fn add_value(&mut self, arg: &str) -> Result<(), String> {
        let (target, value) = arg.split_once('=').ok_or_else(|| {
            "--prompt takes TARGET=VALUE, e.g. --prompt alpha/test/test=hello".to_string()
        })?;
        self.values.push((
            target.to_string(),
            Zeroizing::new(value.as_bytes().to_vec()),
        ));
        Ok(())
    }

    /// `--prompt-stdin TARGET`: the answer is all of standard input, byte
    /// for byte (keeps secrets out of argv and shell history).
    pub fn add_stdin(&mut self, target: &str) -> Result<(), String> {
        let mut value = Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut value)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        self.values.push((target.to_string(), value));
        Ok(())
    }

    /// Resolves every target against the prompts `nodes` declare; a target
    /// naming none, or more than one, is an error (all of them at once).
    pub fn resolve(self, nodes: &[Node]) -> Result<Given, Vec<String>> {
        let mut given = Given::default();
        let mut errors = Vec::new();
        for (typed, answer) in self.values {
            match resolve(&typed, nodes) {
                Ok(target) => given.values.push((target, answer)),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(given)
        } else {
            Err(errors)
        }
    }
}

/// Answers given on the command line (never echoed back anywhere).
#[derive(Default)]
pub struct Given {
    pub values: Vec<(Target, Answer)>,
}

impl Given {
    /// Answers for declared prompts that this run does not ask (their
    /// artifacts are up to date or not selected): harmless, but said.
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
                format!(
                    "the answer for {} is not used: this run does not generate its artifact",
                    t.slashed()
                )
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
                let target = slash_form(node, name);
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
