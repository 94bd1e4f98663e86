# The machine of the on-machine tests (rust/nix-tests/tests/machine_*.rs):
# our module and the real agenix module over files the CLI generated in the
# test (`params.directory`), decrypted with `params.identity` by
# `params.ageBin`. The tests run what this evaluates to, as root, in a
# throwaway root: agenix's activation scripts, ours, and the units' scripts.
# `params.generator` (a host script) is the generator of the dummy case.
{ lib, pkgs, machine, home, failed, agenixNixos, agenixHome, params, ... }:
let
  declarations = import ./on-machine/declarations.nix (name: text: pkgs.writers.writeBash name text);
  greeter = {
    systemd.services.greeter = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig = { User = "greeter"; Type = "oneshot"; RemainAfterExit = true; };
      script = "cat /var/lib/greeter/text";
    };
  };
  # NixOS' `users` step, stood in for: it reports what it finds at the
  # password file, as NixOS would read it.
  usersStep = {
    system.activationScripts.users.text = ''
      echo "users step: $(stat -L -c '%U %a' /run/artifacts/password/hash 2>&1) $(head -c 3 /run/artifacts/password/hash 2>&1)"
    '';
  };
  # A template rendered from two agenix-deployed files and a public value,
  # read by the service `templated`.
  template = { config, ... }: {
    artifacts.package = pkgs.artifacts;
    systemd.services.templated = { serviceConfig.User = "greeter"; script = "cat /var/lib/greeter/greeter.conf"; };
    artifacts.templates."greeter.conf" = {
      content = "greeting=${config.artifacts.placeholder.greeting.text}"
        + "key=${config.artifacts.placeholder.wg.private}"
        + "public=${config.artifacts.store.wg.files.public.value}";
      path = "/var/lib/greeter/greeter.conf";
      owner = "greeter";
      group = "greeter";
      mode = "0440";
      services = [ "templated" ];
    };
  };
  agenixMachine = machine [
    agenixNixos
    greeter
    usersStep
    template
    {
      artifacts.directory = /. + params.directory;
      artifacts.store = declarations;
      age.identityPaths = [ params.identity ];
      age.ageBin = params.ageBin;
    }
  ];
  scripts = agenixMachine.system.activationScripts;
  # Every activation script in the order NixOS runs them (by `deps`).
  inOrder = config:
    let
      all = lib.mapAttrsToList (name: s: { inherit name; text = s.text or ""; deps = s.deps or [ ]; })
        config.system.activationScripts;
    in
    map (e: { inherit (e) name text; }) (lib.toposort (a: b: builtins.elem a.name b.deps) all).result;
  templateSpec = config: import ../../modules/template-spec.nix { inherit lib pkgs; cfg = config.artifacts; };
  unitScripts = config: lib.mapAttrs (_: unit: unit.script)
    (lib.filterAttrs (name: _: lib.hasPrefix "artifact-" name) config.systemd.services);
in
{
  onMachineAgenix = {
    failed = failed agenixMachine;
    # In the order NixOS runs them: agenix decrypts before `users`, then
    # (after users and groups) our public files and agenix's chown.
    activation = map (name: { inherit name; inherit (scripts.${name}) text deps; })
      [ "agenixNewGeneration" "agenixInstall" "artifactsPublicFiles" "agenixChown" ];
    units = unitScripts agenixMachine;
    # All of them, ordered as NixOS does: `users` after agenixInstall.
    activationInOrder = inOrder agenixMachine;
    template = {
      spec = (templateSpec agenixMachine).spec "greeter.conf" agenixMachine.artifacts.templates."greeter.conf";
      unit = agenixMachine.systemd.services."artifacts-template-greeter.conf".serviceConfig;
      trigger = agenixMachine.systemd.services.templated.restartTriggers;
    };
    files = lib.mapAttrs (_: artifact: lib.mapAttrs (_: f: { inherit (f) path owner group mode secret; }) artifact.files)
      agenixMachine.artifacts.store;
  };

  # A home's artifact unit (agenix): the script that installs its public
  # part and checks every file, over `params.directory`.
  onMachineHome =
    let
      config = home [
        agenixHome
        {
          artifacts.directory = /. + params.directory;
          age.identityPaths = [ "/home/alice/.ssh/id_ed25519" ];
          artifacts.store.wg = {
            files.private = { };
            files.public = { secret = false; mode = "0444"; };
          };
        }
      ];
    in
    {
      script = (lib.head config.systemd.user.services.artifact-wg.Service.ExecStart).text;
      inherit (config.artifacts.store.wg.files.public) path;
    };

  # The restart trigger of the service bound to `greeting`.
  onMachineTriggers = {
    greeter = agenixMachine.systemd.services.greeter.restartTriggers;
  };

  # The dummy backend: the spec its unit runs with and the unit itself.
  onMachineDummy =
    let
      config = machine [
        greeter
        {
          artifacts.package = pkgs.artifacts;
          artifacts.default.backend = "dummy";
          artifacts.store = lib.mapAttrs (_: a: a // { generator = /. + params.generator; }) declarations // {
            # Reads wg's files where wg's unit deployed them.
            derived = {
              files.copy = { };
              dependencies = [ "wg" ];
              generator = /. + params.generator;
            };
            # A prompt answered by its test value, one by the placeholder.
            asked = {
              files.answers = { mode = "0400"; path = "/run/artifacts/asked/answers"; };
              prompts.given.testValue = "the test value";
              prompts.placeholder = { };
              generator = /. + params.generator;
            };
          };
        }
      ];
      dummy = import ../../modules/dummy-unit.nix { inherit lib pkgs; cfg = config.artifacts; kind = "machine"; };
    in
    {
      failed = failed config;
      specs = lib.mapAttrs (name: artifact: dummy.spec name artifact) config.artifacts.store;
      specFiles = lib.mapAttrs (name: artifact: toString (dummy.specFile name artifact)) config.artifacts.store;
      units = lib.mapAttrs (_: unit: unit.serviceConfig)
        (lib.filterAttrs (name: _: lib.hasPrefix "artifact-" name) config.systemd.services);
      derivedUnit = { inherit (config.systemd.services.artifact-derived) requires after; };
      greeter = { inherit (config.systemd.services.greeter) bindsTo after restartTriggers; };
      # The users stage: the activation script before `users`.
      usersStage = { inherit (config.system.activationScripts.artifactsUsersStage) text deps; usersDeps = config.system.activationScripts.users.deps; };
    };
}
