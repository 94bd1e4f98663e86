# One behaviour: a service reads a configuration file rendered on the
# machine from a template (`artifacts.templates`) whose placeholder stands
# for an agenix-deployed secret, with the declared owner and mode; the
# secret is not in the Nix store.
# CI without a VM: rust/nix-tests/tests/machine_agenix.rs, secret_templates.rs.
{ artifacts, sources }:
{
  name = "artifacts-template";
  nodes.alpha = { config, ... }: {
    imports = [ artifacts.nixosModules.default "${sources.agenix}/modules/age.nix" ./test-key.nix ./greeter.nix ];
    artifacts.directory = ./artifacts;
    artifacts.store.greeting.files.text = { owner = "greeter"; group = "greeter"; mode = "0440"; };
    artifacts.templates."greeter.conf" = {
      content = "greeting = ${config.artifacts.placeholder.greeting.text}";
      owner = "greeter";
      services = [ "templated" ];
    };
    systemd.services.templated = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig = { User = "greeter"; Type = "oneshot"; RemainAfterExit = true; };
      script = "cat ${config.artifacts.templates."greeter.conf".path}";
    };
  };
  testScript = ''
    alpha.wait_for_unit("templated.service")
    alpha.succeed("journalctl -u templated.service | grep -q 'greeting = hello from artifacts'")
    stat = alpha.succeed("stat -c '%U %G %a' /run/artifact-templates/greeter.conf").strip()
    assert stat == "greeter root 400", stat
    alpha.fail("grep -rl 'hello from artifacts' /nix/store/*-artifacts-template-spec.json")
  '';
}
