# One behaviour: a user logs in with a password whose hash an artifact of
# the users stage holds (`neededFor = "users"`): made from a prompt with
# mkpasswd (on the dummy backend, from the prompt's test value) before
# NixOS creates users and reads `hashedPasswordFile`.
# CI without a VM: rust/nix-tests/tests/stages.rs, machine_dummy.rs, machine_agenix.rs.
{ artifacts, ... }:
{
  name = "artifacts-password";
  nodes.gamma = { config, pkgs, ... }: {
    imports = [ artifacts.nixosModules.default ];
    artifacts.store.alice-password = {
      backend = "dummy";
      neededFor = "users";
      files.hash = { };
      prompts.password.testValue = "correct horse";
      generator = pkgs.writers.writeBash "alice-password" ''
        ${pkgs.mkpasswd}/bin/mkpasswd -m sha-512 -s < "$prompts/password" > "$out/hash"
      '';
    };
    users.users.alice = {
      isNormalUser = true;
      hashedPasswordFile = config.artifacts.store.alice-password.files.hash.path;
    };
  };
  testScript = ''
    gamma.wait_for_unit("multi-user.target")
    gamma.succeed("getent shadow alice | cut -d: -f2 | grep -q '^\\$6\\$'")
    gamma.wait_until_tty_matches("1", "login: ")
    gamma.send_chars("alice\n")
    gamma.wait_until_tty_matches("1", "Password: ")
    gamma.send_chars("correct horse\n")
    gamma.send_chars("whoami > /tmp/who\n")
    gamma.wait_for_file("/tmp/who")
    who = gamma.succeed("cat /tmp/who").strip()
    assert who == "alice", who
  '';
}
