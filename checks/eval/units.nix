# Per-artifact units and the services bound to them (modules/units.nix,
# modules/services.nix), on a machine and in a home, for every backend:
# dependencies, restart triggers, sops-nix's own restarts, and the
# assertions about listed services.
{ lib, pkgs, machine, home, summary, failed, agenixNixos, sopsNixos, agenixHome, sopsHome, fixtures, empty, ... }:
let
  gen = name: pkgs.writers.writeBash name "echo x > $out/secret";
  # Two services reading an artifact: one restarted, one reloaded, and an
  # unrelated one.
  services = {
    systemd.services.reader = { wantedBy = [ "multi-user.target" ]; script = "cat /run/artifacts/test/secret"; };
    systemd.services.reloader = { wantedBy = [ "multi-user.target" ]; script = "true"; reload = "true"; };
    systemd.services.other = { script = "true"; };
  };
  # A stored artifact of the fixtures on `backend`, bound to both services:
  # test/secret.age (agenix) or attic/env.sops (sops-nix), or made on the
  # machine (dummy).
  bound = backend:
    let
      name = if backend == "sops-nix" then "attic" else "test";
      file = if backend == "sops-nix" then "env" else "secret";
    in
    {
      artifacts.directory = fixtures;
      artifacts.store.${name} = {
        inherit backend;
        files.${file} = { };
        generator = gen name;
        services = [ "reader" ];
        reloadServices = [ "reloader.service" ];
      };
    };
  # What a case shows of the units: ours, the bound ones and the other.
  unitsOf = config: lib.filterAttrs
    (name: _: builtins.elem name [ "artifact-test" "artifact-attic" "artifact-wg" "reader" "reloader" "other" ])
    config.systemd.services;
  machineCase = modules: let config = machine modules; in
    summary config // { units = unitsOf config; };
  sopsRestarts = config: lib.mapAttrs (_: s: { inherit (s) restartUnits reloadUnits; }) (config.sops.secrets or { });
in
{
  unitsAgenix = machineCase [ agenixNixos services (bound "agenix") ];
  unitsSops = let config = machine [ sopsNixos services (bound "sops-nix") ]; in
    summary config // { units = unitsOf config; restarts = sopsRestarts config; };
  unitsDummy = machineCase [ services (bound "dummy") { artifacts.package = pkgs.artifacts; } ];
  # Public and secret files of one artifact (fixtures: machines/alpha/wg).
  unitsMixed = machineCase [
    sopsNixos
    services
    {
      artifacts.directory = fixtures;
      artifacts.store.wg = {
        backend = "sops-nix";
        files.private = { };
        files.public.secret = false;
        generator = gen "wg";
        services = [ "reader" ];
      };
    }
  ];
  # The announcement's artifacts, untouched: each still gets its unit.
  unitsAnnouncement = let config = machine [ agenixNixos sopsNixos ../../lib/tests/announcement.nix { artifacts.directory = fixtures; } ]; in
    lib.mapAttrs (_: u: u.script or null) (lib.filterAttrs (name: _: lib.hasPrefix "artifact-" name) config.systemd.services);
  # `@` and `+` escaped as systemd-escape does.
  unitsEscaped = let config = machine [ agenixNixos { artifacts.directory = empty; artifacts.store."a@b+c" = { files.secret = { }; generator = gen "x"; }; } ]; in
    { names = lib.filter (lib.hasPrefix "artifact-") (lib.attrNames config.systemd.services); unit = config.artifacts.store."a@b+c".unit; };

  # A listed service nobody defines, and a unit that is not a service.
  servicesUnknown = summary (machine [
    agenixNixos
    services
    (bound "agenix")
    { artifacts.store.test.services = [ "atticd" "reader.socket" ]; }
  ]);

  # The same artifact in a home: user units, triggers for sops-nix too.
  unitsHome =
    let
      config = home [
        agenixHome
        sopsHome
        {
          artifacts.directory = fixtures;
          artifacts.package = pkgs.artifacts;
          sops.age.keyFile = "/home/alice/.config/sops/age/keys.txt";
          age.identityPaths = [ "/home/alice/.ssh/id_ed25519" ];
          artifacts.store.test = { files.secret = { }; generator = gen "test"; services = [ "reader" ]; };
          artifacts.store.attic = { backend = "sops-nix"; files.env = { }; generator = gen "attic"; reloadServices = [ "reloader" ]; };
          artifacts.store.made = { backend = "dummy"; files.secret = { }; generator = gen "made"; services = [ "reader" ]; };
          systemd.user.services.reader = { Service.ExecStart = "/bin/true"; };
          systemd.user.services.reloader = { Service.ExecStart = "/bin/true"; };
        }
      ];
      units = lib.filterAttrs (name: _: builtins.elem name [ "artifact-test" "artifact-attic" "artifact-made" "reader" "reloader" ])
        config.systemd.user.services;
    in
    summary config // {
      units = lib.mapAttrs (_: u: u // { Service = u.Service // { ExecStart = map toString u.Service.ExecStart; }; }) units;
    };
  # A user service nobody defines.
  homeServicesUnknown = summary (home [
    agenixHome
    {
      artifacts.directory = fixtures;
      age.identityPaths = [ "/home/alice/.ssh/id_ed25519" ];
      artifacts.store.test = { files.secret = { }; generator = gen "test"; services = [ "nobody" ]; };
    }
  ]);
}
