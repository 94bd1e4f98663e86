//! What a generator finds around it (issue 15): a private, writable copy of
//! its dependencies' files as `$in` (writes thrown away), a private empty
//! working folder instead of `$out`, and its declared `runtimeInputs` first
//! on PATH. Run through `artifacts generate` under bubblewrap, results
//! checked with the reference tools (`openssl`, `age`).

mod common;
use common::Fixture;
use std::process::Command;

fn generate(store: &str) -> Fixture {
    generate_outputs(&format!(
        "nixosConfigurations.alpha = machine \"alpha\" {{\n{store}\n}};"
    ))
}

fn generate_outputs(outputs: &str) -> Fixture {
    let f = Fixture::new(outputs);
    let run = f.run(&["generate"]).ok();
    assert!(!run.stderr().contains("without a sandbox"), "{}", run.all());
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
    f
}

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The textbook signing command writes `ca/crt.srl` beside the CA: `$in`
/// must be writable, and the write must not reach the stored CA.
#[test]
fn openssl_ca_create_serial_signs_from_in() {
    let f = generate(
        r#"
      ca = {
        files.key = { };
        files.crt.secret = false;
        generator = gen "ca" ''
          openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
            -keyout "$out/key" -out "$out/crt" -subj "/CN=Example CA"
        '';
      };
      server = {
        dependencies = [ "ca" ];
        files.key = { };
        files.crt.secret = false;
        generator = gen "server" ''
          openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$out/key" -out server.csr -subj "/CN=server.example"
          openssl x509 -req -in server.csr -days 365 \
            -CA "$in/ca/crt" -CAkey "$in/ca/key" -CAcreateserial -out "$out/crt"
        '';
      };
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.crt");
    std::fs::copy(f.stored("machines/alpha/ca/crt"), &ca).unwrap();
    let verified = openssl(&[
        "verify",
        "-CAfile",
        ca.to_str().unwrap(),
        f.stored("machines/alpha/server/crt").to_str().unwrap(),
    ]);
    assert!(verified.trim_end().ends_with(": OK"), "{verified}");
    // The serial file stayed in the generator's copy; the CSR in its
    // working folder: neither is stored.
    let stored = |artifact: &str| {
        let mut names: Vec<String> =
            std::fs::read_dir(f.stored(&format!("machines/alpha/{artifact}")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect();
        names.sort();
        names
    };
    assert_eq!(stored("ca"), ["crt", "key.age"]);
    assert_eq!(stored("server"), ["crt", "key.age"]);
}

/// Tools (Tor's, Syncthing's key generation) drop files in their working
/// folder: it is not `$out`, so the declared files are stored.
#[test]
fn files_left_in_the_working_folder_are_not_output() {
    let f = generate(
        r#"
      tor = {
        files.key = { };
        generator = gen "tor" ''
          echo scratch > hs_ed25519_secret_key.tmp
          [ "$(pwd)" != "$out" ] && [ -z "$(ls -A "$out")" ]
          ls -A > "$out/key"
        '';
      };
"#,
    );
    let key = f.age_decrypt("machines/alpha/tor/key.age", "alpha");
    // It started in an empty folder of its own.
    assert_eq!(
        String::from_utf8(key).unwrap(),
        "hs_ed25519_secret_key.tmp\n"
    );
}

/// `runtimeInputs`' bin/ folders come before the caller's PATH: a package's
/// `openssl` shadows the host's, and it is built in the generators' batch.
#[test]
fn runtime_inputs_come_first_on_path() {
    let system = format!("{}-linux", std::env::consts::ARCH);
    let f = generate_outputs(&format!(
        r#"
      nixosConfigurations.alpha = let
        tools = builtins.derivation {{
          name = "fake-openssl";
          system = "{system}";
          builder = "/bin/sh";
          args = [ "-c" "/bin/mkdir -p $out/bin && printf '#!/bin/sh\\necho from-runtime-input\\n' > $out/bin/openssl && /bin/chmod +x $out/bin/openssl" ];
        }};
      in machine "alpha" {{
        probe = {{
          files.which = {{ }};
          runtimeInputs = [ tools ];
          generator = gen "probe" ''openssl version > "$out/which"'';
        }};
      }};
"#
    ));
    let which = f.age_decrypt("machines/alpha/probe/which.age", "alpha");
    assert_eq!(String::from_utf8(which).unwrap(), "from-runtime-input\n");
}
