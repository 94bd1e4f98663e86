//! Age plugin recipients (`age1<plugin>1…`) are accepted when their
//! program is on PATH (the end-to-end runs, with a real plugin and the
//! reference `sops`, are in rust/artifacts/tests/plugins.rs); without it,
//! the error names the program and the recipient.

use artifacts_sops::{parse_recipient, Error};
use bech32::{Bech32, Hrp};

fn plugin_recipient(plugin: &str) -> String {
    bech32::encode::<Bech32>(Hrp::parse(&format!("age1{plugin}")).unwrap(), &[7u8; 33]).unwrap()
}

#[test]
fn a_plugin_recipient_without_its_program_names_both() {
    let recipient = plugin_recipient("nosuchplugin");
    match parse_recipient(&recipient) {
        Err(Error::MissingPlugin {
            recipient: named,
            program,
        }) => {
            assert_eq!(named, recipient);
            assert_eq!(program, "age-plugin-nosuchplugin");
        }
        other => panic!("expected MissingPlugin, got {:?}", other.err()),
    }
    let message = parse_recipient(&recipient).err().unwrap().to_string();
    assert!(
        message.contains("age-plugin-nosuchplugin") && message.contains(&recipient),
        "{message}"
    );
}

#[test]
fn a_damaged_plugin_recipient_is_invalid() {
    let mut damaged = plugin_recipient("nosuchplugin");
    let last = damaged.pop().unwrap();
    damaged.push(if last == 'q' { 'p' } else { 'q' });
    assert!(matches!(
        parse_recipient(&damaged),
        Err(Error::InvalidRecipient { .. })
    ));
}
