# Public parts (`secret = false`): their value at evaluation time (stored,
# missing, a `mkDefault` fallback, shared), and their deployment from the
# Nix store on a machine (activation script) and in a home (its unit).
{ lib, pkgs, machine, home, summary, failed, agenixNixos, agenixHome, fixtures, empty, ... }:
let
  # A WireGuard-style pair: the private half secret on agenix, the public
  # half readable by Nix (fixtures: machines/alpha/wg/{private.age,public}).
  wg = {
    artifacts.store.wg = {
      files.private = { };
      files.public = { secret = false; mode = "0444"; };
      generator = pkgs.writers.writeBash "wg" "echo private > $out/private; echo public > $out/public";
    };
  };
  alpha = modules: machine ([ agenixNixos wg ] ++ modules);
  valueOf = config: config.artifacts.store.wg.files.public.value;
  fallback = { artifacts.store.wg.files.public.value = lib.mkDefault "fallback"; };
in
{
  publicValue = valueOf (alpha [{ artifacts.directory = fixtures; }]);
  # Not generated yet: an error naming the command (must fail).
  publicValueMissing = valueOf (alpha [{ artifacts.directory = empty; }]);
  # A module's fallback, used only while the file is missing.
  publicValueFallback = valueOf (alpha [ fallback { artifacts.directory = empty; } ]);
  publicValueStoredBeatsFallback = valueOf (alpha [ fallback { artifacts.directory = fixtures; } ]);
  # A plain definition wins over the stored file.
  publicValueDefined = valueOf (alpha [{ artifacts.directory = fixtures; artifacts.store.wg.files.public.value = "pinned"; }]);
  # Secret files have no value (must fail).
  secretValue = (alpha [{ artifacts.directory = fixtures; }]).artifacts.store.wg.files.private.value;
  # Neither have files the dummy backend makes on the machine (must fail).
  dummyValue = valueOf (alpha [{ artifacts.directory = fixtures; artifacts.store.wg.backend = "dummy"; }]);
  # Shared artifacts are read from shared/<artifact>/<file>.
  sharedPublicValue = (machine [{
    artifacts.directory = fixtures;
    artifacts.store.ca = {
      shared = true;
      files.cert.secret = false;
      generator = pkgs.writers.writeBash "ca" "echo cert > $out/cert";
    };
  }]).artifacts.store.ca.files.cert.value;

  # Deployed from the store by an activation script after users and
  # groups, with owner, group and mode; only the secret half goes to agenix.
  publicDeploy =
    let
      config = alpha [{
        artifacts.directory = fixtures;
        artifacts.store.wg.files.public = { owner = "wg"; group = "wg"; path = "/etc/wireguard/public"; };
      }];
    in
    summary config // { activation = config.system.activationScripts.artifactsPublicFiles; };

  # An artifact with public parts only needs no secret backend's module.
  publicOnly =
    let
      config = machine [{
        artifacts.directory = fixtures;
        artifacts.store.wg = {
          files.public.secret = false;
          generator = pkgs.writers.writeBash "wg" "echo public > $out/public";
        };
      }];
    in
    summary config // { activation = config.system.activationScripts.artifactsPublicFiles; };

  # Missing: an assertion like any missing stored file, nothing installed.
  publicDeployMissing =
    let config = alpha [{ artifacts.directory = empty; }]; in
    summary config // { activation = config.system.activationScripts.artifactsPublicFiles or null; };

  # In a home, the artifact's unit installs it (mode, no owner).
  homePublic =
    let
      config = home [ agenixHome wg { artifacts.directory = fixtures; age.identityPaths = [ "/home/alice/.ssh/id_ed25519" ]; } ];
      unit = config.systemd.user.services."artifact-wg";
    in
    summary config // {
      inherit (unit) Unit Install;
      Service = unit.Service // { ExecStart = map (script: script.text) unit.Service.ExecStart; };
      value = valueOf config;
    };
}
