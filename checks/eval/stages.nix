# The users stage (`neededFor = "users"`) on every backend, the password-file
# assertion, and files that are never deployed (`deploy = false`), on a
# machine and in a home (modules/stages.nix, modules/types/file.nix).
{ lib, pkgs, machine, home, summary, failed, agenixNixos, sopsNixos, agenixHome, fixtures, ... }:
let
  gen = name: pkgs.writers.writeBash name "echo x > $out/secret";
  # alice's password is the file `secret` of `test` (agenix fixture).
  password = { config, ... }: {
    users.users.alice.hashedPasswordFile = config.artifacts.store.test.files.secret.path;
  };
  test = stage: {
    artifacts.directory = fixtures;
    artifacts.store.test = { files.secret = { }; generator = gen "test"; neededFor = stage; };
  };
  scripts = config: lib.mapAttrs (_: s: s.deps or [ ]) (config.system.activationScripts or { });
in
{
  # agenix: decrypted in agenixInstall, which `users` waits for; root's.
  stagesAgenix = let config = machine [ agenixNixos password (test "users") ]; in
    summary config // { deps = scripts config; path = config.users.users.alice.hashedPasswordFile; };

  # sops-nix: neededForUsers, and the path is where sops-nix puts it.
  stagesSops = let config = machine [
    sopsNixos
    ({ config, ... }: {
      artifacts.directory = fixtures;
      artifacts.store.attic = { backend = "sops-nix"; files.env = { }; generator = gen "attic"; neededFor = "users"; };
      users.users.alice.hashedPasswordFile = config.artifacts.store.attic.files.env.path;
    })
  ]; in
    summary config // {
      neededForUsers = config.sops.secrets."attic/env".neededForUsers;
      path = config.artifacts.store.attic.files.env.path;
    };

  # dummy: an activation script before `users` makes the files; the
  # artifact's unit only checks.
  stagesDummy = let config = machine [
    password
    {
      artifacts.package = pkgs.artifacts;
      artifacts.store.test = { backend = "dummy"; files.secret = { }; generator = gen "test"; neededFor = "users"; };
    }
  ]; in
    summary config // {
      deps = scripts config;
      text = config.system.activationScripts.artifactsUsersStage.text;
      unit = { inherit (config.systemd.services.artifact-test) script; execStart = config.systemd.services.artifact-test.serviceConfig.ExecStart or null; };
    };

  # Public parts of a users-stage artifact are installed before `users` too.
  stagesPublic = let config = machine [
    agenixNixos
    {
      artifacts.directory = fixtures;
      artifacts.store.wg = { files.private = { }; files.public.secret = false; generator = gen "wg"; neededFor = "users"; };
    }
  ]; in
    summary config // {
      deps = scripts config;
      forUsers = config.system.activationScripts.artifactsPublicFilesForUsers.text;
    };

  # systemd-sysusers creates users in a unit: only sops-nix is in time.
  stagesSysusersAgenix = summary (machine [ agenixNixos password (test "users") { systemd.sysusers.enable = true; } ]);
  stagesSysusersSops = let config = machine [
    sopsNixos
    ({ config, ... }: {
      systemd.sysusers.enable = true;
      users.mutableUsers = true;
      artifacts.directory = fixtures;
      artifacts.store.attic = { backend = "sops-nix"; files.env = { }; generator = gen "attic"; neededFor = "users"; };
      users.users.alice.hashedPasswordFile = config.artifacts.store.attic.files.env.path;
    })
  ]; in summary config;

  # A password file of the services stage: the account would get none.
  stagesTooLate = summary (machine [ agenixNixos password (test "services") ]);
  # A users-stage file owned by someone else than root.
  stagesNotRoot = summary (machine [ agenixNixos (test "users") { artifacts.store.test.files.secret.owner = "alice"; } ]);
  # Home Manager has no users stage.
  stagesHome = summary (home [
    agenixHome
    {
      artifacts.directory = fixtures;
      age.identityPaths = [ "/home/alice/.ssh/id_ed25519" ];
      artifacts.store.test = { files.secret = { }; generator = gen "test"; neededFor = "users"; };
    }
  ]);

  # deploy = false: wg's private key is stored (fixtures) but not deployed:
  # no age.secrets / sops.secrets entry, not checked by the unit, no path;
  # the manifest says so. The public part still deploys.
  deployFalse =
    let
      config = machine [
        agenixNixos
        sopsNixos
        {
          artifacts.directory = fixtures;
          artifacts.store.wg = { files.private.deploy = false; files.public.secret = false; generator = gen "wg"; };
          artifacts.store.attic = { backend = "sops-nix"; files.env.deploy = false; generator = gen "attic"; };
          artifacts.store.test = { files.secret = { }; generator = gen "test"; };
        }
      ];
    in
    summary config // {
      units = lib.mapAttrs (_: u: u.script) (lib.filterAttrs (n: _: lib.hasPrefix "artifact-" n) config.systemd.services);
      publicFiles = config.system.activationScripts.artifactsPublicFiles.text;
      manifest = lib.mapAttrs (_: a: lib.mapAttrs (_: f: { inherit (f) deploy path; }) a.files) config.artifacts.manifest.artifacts;
      pathReadable = (builtins.tryEval config.artifacts.store.wg.files.private.path).success;
    };
  # Reading the path of a file that is never deployed: the error says why.
  deployFalsePath = (machine [ agenixNixos { artifacts.directory = fixtures; artifacts.store.wg.files.private.deploy = false; } ]).artifacts.store.wg.files.private.path;
  # The dummy backend makes every file on the machine.
  deployFalseDummy = summary (machine [{
    artifacts.package = pkgs.artifacts;
    artifacts.store.test = { backend = "dummy"; files.secret.deploy = false; generator = gen "test"; };
  }]);
}
