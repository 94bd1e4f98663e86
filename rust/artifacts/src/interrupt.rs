//! Ctrl-C and SIGTERM. Generators and nix run in process groups of their
//! own (so a terminal's Ctrl-C reaches only us) and are killed here. What
//! happens next depends on the phase: while reading the flake or asking
//! prompts nothing was written, so the run ends at once; while generating,
//! the run stops starting generators, lets stores already under way finish
//! (each is one atomic swap), `git add`s what was stored and then exits 130.
//! A second interrupt quits at once; the store stays whole either way.
//! What must go before the exit (private folders holding plaintext)
//! registers itself with [`on_quit`]: this module calls nothing above it.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Mutex;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static PHASE: AtomicU8 = AtomicU8::new(Phase::Reading as u8);
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
/// Set by whoever ends the run at once (the handler, or a prompt that saw
/// Ctrl-C itself), so that only one of them says so.
static QUITTING: AtomicBool = AtomicBool::new(false);
/// The live display while it is on the screen: what the handler says goes
/// through it (a line written past it would shift its lines, leaving a
/// stale frame behind), and it is cleared before quitting.
static DISPLAY: Mutex<Option<Display>> = Mutex::new(None);

/// How the handler writes while a live display is drawn.
pub struct Display {
    /// Prints a line above the display.
    pub say: Box<dyn Fn(&str) + Send>,
    /// Takes the display off the screen.
    pub clear: Box<dyn Fn() + Send>,
}

/// Routes the handler's messages through `display` (None: plain stderr).
pub fn set_display(display: Option<Display>) {
    *DISPLAY.lock().unwrap_or_else(|e| e.into_inner()) = display;
}

/// A message of the handler, above the live display if there is one.
fn say(message: &str) {
    match &*DISPLAY.lock().unwrap_or_else(|e| e.into_inner()) {
        Some(display) => (display.say)(message),
        None => eprintln!("\n{message}"),
    }
}

/// Run, in order, just before the process exits on an interrupt.
static ON_QUIT: Mutex<Vec<fn()>> = Mutex::new(Vec::new());

/// Registers `cleanup` to run when an interrupt ends the process (once per
/// caller: register it from a `Once`).
pub fn on_quit(cleanup: fn()) {
    ON_QUIT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(cleanup);
}

fn run_on_quit() {
    for cleanup in ON_QUIT.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        cleanup();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Evaluating and planning: nothing written yet.
    Reading,
    /// Asking prompts: nothing written yet, the terminal may be in no-echo mode.
    Asking,
    /// Generating and storing.
    Working,
    /// On the target (`artifacts machine generate`): the generator is
    /// killed and nothing is installed.
    OnMachine,
}

pub fn set_phase(phase: Phase) {
    PHASE.store(phase as u8, Ordering::SeqCst);
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Installs the handler for SIGINT and SIGTERM.
pub fn install() {
    let _ = ctrlc::set_handler(handle);
}

fn handle() {
    let again = INTERRUPTED.swap(true, Ordering::SeqCst);
    kill_children();
    let phase = PHASE.load(Ordering::SeqCst);
    if phase == Phase::OnMachine as u8 {
        run_on_quit();
        eprintln!("\nInterrupted: the generator was stopped; the deployed files are as they were.");
        std::process::exit(130);
    }
    if phase == Phase::Working as u8 && !again {
        say("Interrupted: stopping the generators. Artifacts already stored stay whole and are added to git; the others keep their earlier files. Interrupt again to quit at once.");
        return;
    }
    quit(phase)
}

/// Ctrl-C seen by a hidden prompt, which reads the terminal raw and raises
/// SIGINT itself: end the run now, as the handler would (whichever of the
/// two comes first speaks; the other waits for the exit).
pub fn quit_asking() -> ! {
    INTERRUPTED.store(true, Ordering::SeqCst);
    kill_children();
    quit(PHASE.load(Ordering::SeqCst))
}

fn quit(phase: u8) -> ! {
    if QUITTING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    run_on_quit();
    if let Some(display) = &*DISPLAY.lock().unwrap_or_else(|e| e.into_inner()) {
        (display.clear)();
    }
    restore_terminal_echo();
    let message = if phase == Phase::Reading as u8 {
        "Interrupted while reading the flake: nothing was changed."
    } else if phase == Phase::Asking as u8 {
        "Interrupted while asking: nothing was changed."
    } else {
        "Quit at once: every stored artifact is whole (old or new); temporary files are removed; the next `artifacts generate` adds to git what this run could not."
    };
    eprintln!("\n{message}");
    std::process::exit(130);
}

fn kill_children() {
    let children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    for pid in children.iter() {
        // Each child leads its own process group: kill all of it.
        unsafe { libc::kill(-(*pid as i32), libc::SIGKILL) };
    }
}

/// Registers a running child (the leader of its own process group) to be
/// killed on interrupt; unregistered when dropped.
pub struct ChildGuard(u32);

impl ChildGuard {
    pub fn register(pid: u32) -> ChildGuard {
        let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
        children.push(pid);
        if interrupted() {
            // Started just as the interrupt arrived.
            unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
        }
        ChildGuard(pid)
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        CHILDREN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| *p != self.0);
    }
}

/// A hidden prompt and the live display turn echo off; give it back when
/// quitting at once.
fn restore_terminal_echo() {
    with_terminal(|termios| termios.c_lflag |= libc::ECHO | libc::ICANON);
}

/// Changes the controlling terminal's settings with `change`; returns them
/// as they were, or None without a terminal.
fn with_terminal(change: impl FnOnce(&mut libc::termios)) -> Option<libc::termios> {
    // SAFETY: plain termios calls on a descriptor this function owns.
    unsafe {
        let fd = libc::open(c"/dev/tty".as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
        if fd < 0 {
            return None;
        }
        let mut termios: libc::termios = std::mem::zeroed();
        let before = (libc::tcgetattr(fd, &mut termios) == 0).then_some(termios);
        if before.is_some() {
            change(&mut termios);
            libc::tcsetattr(fd, libc::TCSANOW, &termios);
        }
        libc::close(fd);
        before
    }
}

/// Keys typed while the live display is drawn would be echoed into it
/// (Ctrl-C as `^C`), shifting its lines so that a stale frame stays
/// behind: echo is off while this lives, and back as it was when dropped.
/// Ctrl-C still interrupts (the terminal's signals are untouched).
pub struct EchoOff(Option<libc::termios>);

impl EchoOff {
    pub fn turn_off() -> EchoOff {
        EchoOff(with_terminal(|termios| termios.c_lflag &= !libc::ECHO))
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(before) = self.0 {
            with_terminal(|termios| *termios = before);
        }
    }
}
