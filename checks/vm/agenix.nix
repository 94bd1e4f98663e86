# One behaviour: files the CLI stored for agenix reach `files.<f>.path` with
# the declared owner, group and mode, a service running as that owner reads
# them, and a public part arrives from the Nix store with its value.
# CI without a VM: rust/nix-tests/tests/machine_agenix.rs.
{ artifacts, sources }:
{
  name = "artifacts-agenix";
  nodes.alpha = { config, ... }: {
    imports = [ artifacts.nixosModules.default "${sources.agenix}/modules/age.nix" ./test-key.nix ./greeter.nix ];
    artifacts.directory = ./artifacts;
    artifacts.store.greeting = {
      files.text = { owner = "greeter"; group = "greeter"; mode = "0440"; };
      services = [ "greeter" ];
    };
    artifacts.store.wg = {
      files.private = { };
      files.public = { secret = false; mode = "0444"; };
    };
    environment.etc."wg-public-value".text = config.artifacts.store.wg.files.public.value;
  };
  testScript = ''
    alpha.wait_for_unit("greeter.service")
    alpha.succeed("journalctl -u greeter.service | grep -q 'hello from artifacts'")
    stat = alpha.succeed("stat -L -c '%U %G %a' /run/artifacts/greeting/text").strip()
    assert stat == "greeter greeter 440", stat
    alpha.succeed("systemctl is-active artifact-greeting.service artifact-wg.service")
    stat = alpha.succeed("stat -c '%U %G %a' /run/artifacts/wg/public").strip()
    assert stat == "root root 444", stat
    alpha.succeed("cmp /run/artifacts/wg/public /etc/wg-public-value")
    alpha.succeed("grep -qx private-of-alpha /run/artifacts/wg/private")
  '';
}
