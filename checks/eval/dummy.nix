# The dummy backend's declarations: a machine that needs no artifacts folder
# and no secret backend, dependencies read on the target, and what its
# assertions report.
{ lib, pkgs, machine, summary, ... }:
let
  gen = name: pkgs.writers.writeBash name "echo x > $out/key";
in
{
  # Nothing stored, no directory, no agenix or sops-nix: no failure.
  dummyMachine =
    let
      config = machine [{
        artifacts.package = pkgs.artifacts;
        artifacts.default.backend = "dummy";
        artifacts.store.ca = { files.key = { }; generator = gen "ca"; };
        artifacts.store.cert = { files.key.mode = "0444"; generator = gen "cert"; dependencies = [ "ca" ]; };
      }];
      dummy = import ../../modules/dummy-unit.nix { inherit lib pkgs; cfg = config.artifacts; kind = "machine"; };
    in
    summary config // {
      certSpec = dummy.spec "cert" config.artifacts.store.cert;
      certUnit = { inherit (config.systemd.services.artifact-cert) requires after; };
      manifestBackends = lib.mapAttrs (_: a: a.backend) config.artifacts.manifest.artifacts;
    };

  dummyAssertions = summary (machine [{
    artifacts.default.backend = "dummy";
    artifacts.store.nogen = { files.key = { }; };
    artifacts.store.symbolic = { files.key.mode = "u=r"; generator = gen "s"; dependencies = [ "nowhere" ]; };
  }]);
}
