# Templates on nix-darwin: a launchd daemon per template,
# `launchd.daemons."artifacts-template-<name>"`, the counterpart of
# `artifacts-template-<name>.service` (../templates.nix). It runs at load
# (boot, and when nix-darwin reloads it because what it renders changed:
# the template or a value it reads, whose ids are in its definition), waits
# for the artifacts it reads (their markers, ./markers.nix), renders with
# `artifacts machine render`, then writes its own marker, which the
# template's `services` wait for (./services.nix), and sends SIGHUP to its
# `reloadServices` when what it rendered changed. Its messages go to
# /var/log/artifacts-template-<name>.log. The assertions are those of every
# platform (../template-assertions.nix).
{ entryModule }:
{ config, lib, pkgs, ... }:
let
  cfg = config.artifacts;
  names = import ../names.nix;
  darwin = import ./lib.nix { inherit lib pkgs config; };
  inherit (import ../template-spec.nix { inherit lib pkgs cfg; }) specFile;

  script = name: t:
    let who = "artifacts: machine ${names.show cfg.name}, template ${names.show name}"; in
    darwin.path
    + (import ./markers.nix { inherit lib; }).wait {
      inherit who;
      waits = map (artifactName: darwin.waitFor { inherit artifactName; }) (darwin.templateArtifacts t);
    }
    + "${if cfg.package == null then "artifacts" else "${cfg.package}/bin/artifacts"} machine render --spec ${specFile name t} || exit 1\n"
    + darwin.markAndReload {
      inherit who;
      inherit (t) reloadServices;
      marker = (darwin.templateWait { inherit name; }).marker;
      id = darwin.templateId name t;
    };
in
{
  imports = [ (import ../template-assertions.nix { kind = "machine"; inherit entryModule; }) ];

  config.launchd.daemons = lib.mapAttrs'
    (name: t: lib.nameValuePair (darwin.templateDaemonName name) {
      script = script name t;
      serviceConfig = {
        RunAtLoad = true;
        Umask = 63; # 0077: nothing readable by others while it renders
        StandardErrorPath = "/var/log/${darwin.templateDaemonName name}.log";
      };
    })
    darwin.templates;
}
