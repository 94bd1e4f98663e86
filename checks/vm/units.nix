# One behaviour: a service bound to an artifact (`services`) starts only
# with its files present, stops with them, and restarts exactly when a
# switch deploys a new value: a specialisation whose stored greeting was
# regenerated (artifacts-rotated/) restarts it, one that changes something
# else does not.
# CI without a VM: rust/nix-tests/tests/units.rs (dependencies, triggers),
# machine_agenix.rs (the unit's check, a trigger changes exactly with the
# stored value).
{ artifacts, sources }:
{
  name = "artifacts-units";
  nodes.alpha = { config, lib, pkgs, ... }: {
    imports = [ artifacts.nixosModules.default "${sources.agenix}/modules/age.nix" ./test-key.nix ];
    artifacts.directory = ./artifacts;
    artifacts.store.greeting = { files.text.owner = "greeter"; services = [ "greeter" ]; };
    users.users.greeter = { isSystemUser = true; group = "greeter"; };
    users.groups.greeter = { };
    # Long-running, so a restart shows as a new invocation; it records what
    # it read when it started.
    systemd.services.greeter = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig = { User = "greeter"; RuntimeDirectory = "greeter"; };
      script = ''
        cat ${config.artifacts.store.greeting.files.text.path} > /run/greeter/read
        exec sleep infinity
      '';
    };
    specialisation.rotated.configuration.artifacts.directory = lib.mkForce ./artifacts-rotated;
    specialisation.unrelated.configuration.environment.etc.unrelated.text = "unrelated";
  };
  testScript = ''
    def invocation():
        return alpha.succeed("systemctl show -p InvocationID --value greeter.service").strip()

    def switch(to):
        alpha.succeed(f"/run/booted-system/specialisation/{to}/bin/switch-to-configuration test")

    alpha.wait_for_unit("greeter.service")
    alpha.succeed("grep -qx 'hello from artifacts' /run/greeter/read")
    first = invocation()

    switch("unrelated")
    assert invocation() == first, "an unrelated change restarted the service"

    switch("rotated")
    alpha.wait_for_unit("greeter.service")
    assert invocation() != first, "a new value did not restart the service"
    alpha.succeed("grep -qx 'hello again, rotated' /run/greeter/read")

    # Without its file the artifact's unit fails, naming it, and the
    # service stops with it and does not start.
    alpha.succeed("rm /run/artifacts/greeting/text")
    alpha.fail("systemctl restart artifact-greeting.service")
    alpha.succeed("journalctl -u artifact-greeting.service | grep -q \"the file 'text' is not deployed\"")
    alpha.fail("systemctl is-active greeter.service")
    alpha.fail("systemctl start greeter.service")
  '';
}
