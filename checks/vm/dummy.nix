# One behaviour: a machine on the dummy backend needs no stored files: the
# generator runs on the machine at boot, its file appears with owner, group
# and mode, the service bound to it starts after it, and nothing persists:
# a reboot makes a new value. Prompts get their test values.
# CI without a VM: rust/nix-tests/tests/machine_dummy.rs, units.rs.
{ artifacts, ... }:
{
  name = "artifacts-dummy";
  nodes.gamma = { config, pkgs, ... }: {
    imports = [ artifacts.nixosModules.default ./greeter.nix ];
    artifacts.default.backend = "dummy";
    artifacts.store.greeting = {
      files.text = { owner = "greeter"; group = "greeter"; mode = "0440"; path = "/var/lib/greeter/text"; };
      prompts.name.testValue = "VM";
      generator = pkgs.writers.writeBash "greeting" ''
        printf 'hello %s %s\n' "$(cat "$prompts/name")" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > "$out/text"
      '';
      services = [ "greeter" ];
    };
  };
  testScript = ''
    gamma.wait_for_unit("greeter.service")
    gamma.succeed("systemctl is-active artifact-greeting.service")
    stat = gamma.succeed("stat -c '%U %G %a' /var/lib/greeter/text").strip()
    assert stat == "greeter greeter 440", stat
    first = gamma.succeed("cat /var/lib/greeter/text")
    assert first.startswith("hello VM "), first
    gamma.succeed("journalctl -u greeter.service | grep -q 'hello VM'")
    gamma.reboot()
    gamma.wait_for_unit("greeter.service")
    second = gamma.succeed("cat /var/lib/greeter/text")
    assert second.startswith("hello VM ") and second != first, (first, second)
  '';
}
