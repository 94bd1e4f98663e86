# Templates (`artifacts.templates`, modules/templates.nix): the rendering
# unit, its binding to the artifacts' units, its services and their
# triggers, and the placeholder errors, on a machine and in a home.
{ lib, pkgs, machine, home, summary, failed, agenixNixos, sopsNixos, agenixHome, fixtures, ... }:
let
  gen = name: pkgs.writers.writeBash name "echo x > $out/secret";
  base = { config, ... }: {
    artifacts.directory = fixtures;
    artifacts.package = pkgs.artifacts;
    artifacts.store.test = { files.secret = { }; generator = gen "test"; };
    artifacts.store.wg = { files.private = { }; files.public.secret = false; generator = gen "wg"; };
    systemd.services.reader = { script = "cat /run/app.conf"; };
    systemd.services.reloader = { script = "true"; reload = "true"; };
    artifacts.templates."app.conf" = {
      content = "token=${config.artifacts.placeholder.test.secret}\nkey=${config.artifacts.placeholder.wg.private}\npublic=${config.artifacts.store.wg.files.public.value}\n";
      path = "/run/app.conf";
      owner = "greeter";
      mode = "0440";
      services = [ "reader" ];
      reloadServices = [ "reloader" ];
    };
  };
  templateSpec = config: import ../../modules/template-spec.nix { inherit lib pkgs; cfg = config.artifacts; };
in
{
  templatesAgenix = let config = machine [ agenixNixos base ]; in
    summary config // {
      unit = config.systemd.services."artifacts-template-app.conf";
      inherit (config.systemd.services) reader reloader;
      spec = (templateSpec config).spec "app.conf" config.artifacts.templates."app.conf";
    };
  # The same template over sops-nix and dummy artifacts: bound to their
  # units, with placeholders at the paths those backends deploy to.
  templatesSopsDummy = let config = machine [
    sopsNixos
    base
    {
      artifacts.store.test.backend = "dummy";
      artifacts.store.wg.backend = "sops-nix";
    }
  ]; in
    summary config // {
      unit = config.systemd.services."artifacts-template-app.conf";
      spec = (templateSpec config).spec "app.conf" config.artifacts.templates."app.conf";
    };
  # Another content or another stored value changes the trigger; the
  # stored value of an artifact the template does not use does not.
  templatesTriggers =
    let
      trigger = modules: lib.head (machine ([ agenixNixos base ] ++ modules)).systemd.services.reader.restartTriggers;
    in
    {
      base = trigger [ ];
      otherContent = trigger [{ artifacts.templates."app.conf".content = lib.mkForce "other"; }];
      unusedArtifact = trigger [{ artifacts.store.attic = { backend = "agenix"; files.env = { }; generator = gen "attic"; }; }];
    };

  # A placeholder of an unknown artifact or file, or of a file never
  # deployed, written out (as a copy from another scope would be).
  templatesUnknown = summary (machine [
    agenixNixos
    base
    {
      artifacts.store.ca = { files.key.deploy = false; generator = gen "ca"; };
      artifacts.templates.bad.content = "<ARTIFACTS:nope/x:PLACEHOLDER> <ARTIFACTS:test/nope:PLACEHOLDER> <ARTIFACTS:ca/key:PLACEHOLDER>";
    }
  ]);
  # Through the option: the placeholder of a file never deployed throws.
  templatesNotDeployed = (machine [
    agenixNixos
    ({ config, ... }: {
      artifacts.directory = fixtures;
      artifacts.store.ca = { files.key.deploy = false; generator = gen "ca"; };
      artifacts.templates.bad.content = config.artifacts.placeholder.ca.key;
    })
  ]).systemd.services."artifacts-template-bad".serviceConfig.ExecStart;

  # In a home: a user unit.
  templatesHome =
    let
      config = home [
        agenixHome
        ({ config, ... }: {
          artifacts.directory = fixtures;
          artifacts.package = pkgs.artifacts;
          age.identityPaths = [ "/home/alice/.ssh/id_ed25519" ];
          artifacts.store.test = { files.secret = { }; generator = gen "test"; };
          systemd.user.services.reader = { Service.ExecStart = "/bin/true"; };
          artifacts.templates.env = { content = "T=${config.artifacts.placeholder.test.secret}"; services = [ "reader" ]; };
        })
      ];
    in
    summary config // {
      unit = config.systemd.user.services."artifacts-template-env";
      reader = config.systemd.user.services.reader.Unit;
      inherit (config.artifacts.templates.env) path;
    };
}
