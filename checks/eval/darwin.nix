# nix-darwin cases: our darwin module (modules/darwin) in nix-darwin's real
# module set, with the stock agenix and sops-nix darwin modules, on machine
# alpha. What they show: the `age.secrets` / `sops.secrets` entries, the
# launchd daemons (ours, the stock ones we wrap, the services we wrap) and
# the plists nix-darwin writes for them, and the assertions.
{ lib, pkgs, darwin, evalDarwin, summary, failed, agenixDarwin, sopsDarwin, agenixOnly, flake-parts, fixtures, empty, params, ... }:
let
  gen = name: pkgs.writers.writeBash name "echo x > $out/secret";
  # Daemons that read artifacts: started by a command, by a script, and one
  # unrelated.
  daemons = {
    launchd.daemons.reader = { command = "/bin/cat /run/artifacts/test/secret"; serviceConfig.KeepAlive = true; };
    launchd.daemons.reloader.script = "exec sleep 1000";
    launchd.daemons.other.command = "/usr/bin/true";
  };
  # test (agenix), attic (sops-nix, own path and owner), wg (sops-nix,
  # a secret and a public part), as stored in the fixtures.
  declarations = {
    artifacts.store.test = { files.secret = { }; generator = gen "test"; services = [ "reader" ]; reloadServices = [ "reloader" ]; };
    artifacts.store.attic = {
      backend = "sops-nix";
      files.env = { owner = "_atticd"; path = "/var/lib/attic/env"; };
      generator = gen "attic";
      services = [ "reader" ];
    };
    artifacts.store.wg = { backend = "sops-nix"; files.private = { }; files.public.secret = false; generator = gen "wg"; };
  };
  keys = { sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ]; };

  # What a case shows of a daemon: how launchd starts it, and our scripts.
  daemonOf = d: {
    inherit (d) command script;
    inherit (d.serviceConfig) Label ProgramArguments RunAtLoad StandardErrorPath;
  };
  shown = [ "artifact-test" "artifact-attic" "artifact-wg" "artifact-ca" "artifact-cert" "activate-agenix" "sops-install-secrets" "reader" "reloader" "other" "artifacts-template-app.conf" ];
  daemonsOf = config: lib.mapAttrs (_: daemonOf) (lib.filterAttrs (name: _: builtins.elem name shown) config.launchd.daemons);
  plist = config: label: config.environment.launchDaemons."${label}.plist".text;
  caseOf = config: summary config // {
    daemons = daemonsOf config;
    inherit (config.artifacts) name;
    manifest = lib.mapAttrs (_: a: { inherit (a) backend; files = lib.mapAttrs (_: f: { inherit (f) owner group path; }) a.files; })
      config.artifacts.manifest.artifacts;
  };
  deployed = directory: darwin [ agenixDarwin sopsDarwin daemons declarations keys { artifacts.directory = directory; } ];
in
{
  # Everything stored: the stock darwin modules deploy, our daemons order
  # the services after them, nix-darwin writes the plists.
  darwinDeployed = let config = deployed fixtures; in
    caseOf config // {
      readerPlist = plist config "org.nixos.reader";
      testPlist = plist config "org.nixos.artifact-test";
    };

  # The same with the stored files of `params.directory` (a copy the test
  # changes): what the services wait for follows the stored values.
  darwinDirectory = daemonsOf (deployed (/. + params.directory));

  # Nothing generated yet: one assertion per missing file.
  darwinMissing = summary (deployed empty);

  # agenix and sops-nix used, neither module imported.
  darwinNotImported = summary (darwin [ daemons declarations { artifacts.directory = fixtures; } ]);

  # The dummy backend: made on the Mac by a daemon, after its dependency.
  darwinDummy = let config = darwin [{
    artifacts.package = pkgs.artifacts;
    artifacts.default.backend = "dummy";
    artifacts.store.ca = { files.key = { }; generator = gen "ca"; };
    artifacts.store.cert = { files.key.mode = "0444"; generator = gen "cert"; dependencies = [ "ca" ]; };
  }]; in
    caseOf config;

  # A template over an agenix and a sops-nix artifact, read by `reader`.
  darwinTemplate = let config = darwin [
    agenixDarwin
    sopsDarwin
    daemons
    keys
    ({ config, ... }: {
      artifacts.directory = fixtures;
      artifacts.package = pkgs.artifacts;
      artifacts.store.test = { files.secret = { }; generator = gen "test"; };
      artifacts.store.wg = { backend = "sops-nix"; files.private = { }; files.public.secret = false; generator = gen "wg"; };
      artifacts.templates."app.conf" = {
        content = "token=${config.artifacts.placeholder.test.secret}\nkey=${config.artifacts.placeholder.wg.private}\n";
        path = "/usr/local/etc/app.conf";
        services = [ "reader" ];
        reloadServices = [ "reloader" ];
      };
    })
  ]; in
    caseOf config;

  # What is refused: names that cannot be paths, a service that is no
  # daemon or one started by Program alone, the users stage, no package
  # for a template.
  darwinRefused = summary (darwin [
    agenixDarwin
    daemons
    { launchd.daemons.programOnly.serviceConfig.Program = "/usr/bin/true"; }
    ({ config, ... }: {
      artifacts.directory = empty;
      artifacts.store."../up" = { files.secret = { }; generator = gen "up"; };
      artifacts.store.test = { files.secret = { }; generator = gen "test"; services = [ "nobody" "programOnly" ]; neededFor = "users"; };
      artifacts.templates.app.content = "${config.artifacts.placeholder.test.secret}";
    })
  ]);
  # A machine name that is no path.
  darwinBadName = summary (darwin [{ artifacts.name = "al/pha"; }]);
  # No host name: the module cannot know the machine's folder.
  darwinNoName = (darwin [{ networking.hostName = lib.mkForce null; }]).artifacts.manifest.name;

  # The flake-parts module in a user's flake: a Mac built with
  # `config.artifacts.darwinModule` finds its files under `<self>/artifacts`
  # and runs perSystem's `artifacts.package` for the dummy backend.
  darwinFlakeParts =
    let
      fp = (import (flake-parts + "/flake.nix")).outputs { nixpkgs-lib = { inherit lib; }; };
      userSelf = { outPath = "/nix/store/11111111111111111111111111111111-source"; };
      artifactsFlake = {
        darwinModules.default = ../../modules/darwin;
        packages.aarch64-darwin.default = pkgs.writeShellScriptBin "artifacts-for-darwin" "";
      };
      flake = fp.lib.mkFlake { inputs.self = userSelf; } ({ config, ... }: {
        imports = [ (import ../../flake-module.nix { inherit artifactsFlake; }) ];
        systems = [ "aarch64-darwin" ];
        flake.darwinConfigurations.alpha = evalDarwin [ config.artifacts.darwinModule agenixDarwin agenixOnly ];
      });
      alpha = flake.darwinConfigurations.alpha.config;
    in
    {
      directory = alpha.artifacts.directory;
      ageFile = alpha.age.secrets."test/secret".file;
      package = toString alpha.artifacts.package;
      failed = failed alpha;
    };
}
