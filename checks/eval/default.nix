# Module-evaluation cases: our NixOS / Home Manager modules evaluated with
# the real module system and the real stock agenix and sops-nix modules over
# a stand-in base (nixos-base.nix, home-base.nix). Each case is plain,
# JSON-safe data; rust/nix-tests asserts on it, and checks/flake.nix forces it
# with real nixpkgs. Sources come as arguments so both can pass their own.
{ lib # nixpkgs' lib
, agenix # agenix's source
, sops-nix # sops-nix's source
, flake-parts ? null # flake-parts' source, for the flakeParts case
, pkgs ? import ../../lib/tests/stand-in-pkgs.nix
}:
let
  fixtures = ./fixtures/artifacts;
  announcement = ../../lib/tests/announcement.nix;
  scope = import ../../lib/tests/scope.nix;

  evalFull = base: modules: lib.evalModules {
    modules = [ base { _module.args.pkgs = lib.mkForce pkgs; } ] ++ modules;
  };
  evalWith = base: modules: (evalFull base modules).config;

  machine = modules: evalWith ./nixos-base.nix ([
    ../../modules/nixos
    {
      networking.hostName = "alpha";
      services.openssh.enable = true;
      services.openssh.hostKeys = [{ type = "ed25519"; path = "/etc/ssh/ssh_host_ed25519_key"; }];
      artifacts = { inherit (scope) publicKey adminRecipients; };
    }
  ] ++ modules);

  home = modules: evalWith ./home-base.nix ([
    ../../modules/home-manager
    { home.username = "alice"; home.homeDirectory = "/home/alice"; }
  ] ++ modules);

  agenixNixos = agenix + "/modules/age.nix";
  agenixHome = agenix + "/modules/age-home.nix";
  sopsNixos = sops-nix + "/modules/sops";
  sopsHome = sops-nix + "/modules/home-manager/sops.nix";

  # Stored files relative to the fixtures, so results do not depend on
  # where the repository is checked out.
  relative = file: lib.removePrefix "${toString fixtures}/" (toString file);
  failed = config: map (a: a.message) (lib.filter (a: !a.assertion) config.assertions);
  ageSecrets = config: lib.mapAttrs
    (_: s: { file = relative s.file; inherit (s) path mode; } // lib.optionalAttrs (s ? owner) { inherit (s) owner group; })
    (config.age.secrets or { });
  sopsSecrets = config: lib.mapAttrs
    (_: s: { sopsFile = relative s.sopsFile; inherit (s) format path mode; } // lib.optionalAttrs (s ? owner) { inherit (s) owner group; })
    (config.sops.secrets or { });
  summary = config: {
    age = ageSecrets config;
    sops = sopsSecrets config;
    failed = failed config;
  };

  # One artifact on agenix only, for the cases without sops-nix.
  agenixOnly = { pkgs, ... }: {
    artifacts.store.test = {
      files.secret = { };
      generator = pkgs.writers.writeBash "test" "echo hi > $out/secret";
    };
  };
in
{
  # The announcement on a machine mixing both backends, files present.
  announcement = let config = machine [ agenixNixos sopsNixos announcement { artifacts.directory = fixtures; } ]; in
    summary config // {
      atticEnvironmentFile = config.services.atticd.environmentFile;
      manifestName = config.artifacts.manifest.name;
    };

  # The module system's manifest, to be equal to tests/golden/announcement.json.
  manifest = (machine [ agenixNixos sopsNixos announcement ]).artifacts.manifest;

  # The same declarations, nothing generated yet.
  missing = summary (machine [ agenixNixos sopsNixos announcement { artifacts.directory = ./fixtures/empty; } ]);

  # `artifacts.directory` never set.
  directoryUnset.failed = failed (machine [ agenixNixos sopsNixos announcement ]);

  # A backend nobody knows.
  unknownBackend = summary (machine [ agenixNixos announcement { artifacts.directory = fixtures; artifacts.store.test.backend = "vault"; } ]);

  # agenix only, sops-nix not imported: evaluates, nothing asked of sops.
  agenixOnly = summary (machine [ agenixNixos agenixOnly { artifacts.directory = fixtures; } ]);

  # An artifact on sops-nix while sops-nix's module is not imported.
  sopsNotImported = summary (machine [ agenixNixos announcement { artifacts.directory = fixtures; } ]);

  # Everything on sops-nix by default, agenix not imported.
  sopsDefault = summary (machine [ sopsNixos announcement { artifacts.directory = fixtures; artifacts.default.backend = lib.mkForce "sops-nix"; } ]);

  # Home Manager, standalone: the runtime directory is the shell's.
  home = let config = home [ agenixHome sopsHome ./home-declarations.nix { artifacts.directory = fixtures; sops.age.keyFile = "/home/alice/.config/sops/age/keys.txt"; } ]; in
    summary config // { inherit (config.artifacts.manifest) kind name; };

  # Home Manager with a known uid: absolute paths.
  homeWithUid = summary (home [ agenixHome sopsHome ./home-declarations.nix { artifacts.directory = fixtures; home.uid = 1000; sops.age.keyFile = "/home/alice/.config/sops/age/keys.txt"; } ]);

  # Home Manager as a NixOS module: the NixOS module's shared modules name
  # the home "<user>@<machine>" and hand down the artifacts directory.
  homeInNixos =
    let
      os = machine [
        agenixNixos
        { options.home-manager.sharedModules = lib.mkOption { type = lib.types.listOf lib.types.raw; default = [ ]; }; }
        { artifacts.directory = fixtures; }
      ];
      config = home ([ agenixHome agenixOnly ] ++ os.home-manager.sharedModules);
    in
    summary config // { inherit (config.artifacts) name; directory = relative config.artifacts.directory; };

  # The flake-parts module in a user's flake (stand-ins for the user's
  # `self` and for our flake): `apps.artifacts`, and machines built with
  # `config.artifacts.nixosModule` find their files under `<self>/artifacts`.
  flakeParts =
    let
      fp = (import (flake-parts + "/flake.nix")).outputs { nixpkgs-lib = { inherit lib; }; };
      userSelf = { outPath = "/nix/store/11111111111111111111111111111111-source"; };
      artifactsFlake = {
        nixosModules.default = ../../modules/nixos;
        homeModules.default = ../../modules/home-manager;
        packages.x86_64-linux.default = pkgs.writeShellScriptBin "artifacts" "";
      };
      flake = fp.lib.mkFlake { inputs.self = userSelf; } ({ config, ... }: {
        imports = [ (import ../../flake-module.nix { inherit artifactsFlake; }) ];
        systems = [ "x86_64-linux" ];
        flake.nixosConfigurations.alpha = machine [ config.artifacts.nixosModule agenixNixos agenixOnly ];
      });
      alpha = flake.nixosConfigurations.alpha;
    in
    {
      app = flake.apps.x86_64-linux.artifacts;
      exportsNixosModule = flake.nixosModules ? artifacts;
      directory = alpha.artifacts.directory;
      ageFile = alpha.age.secrets."test/secret".file;
      failed = failed alpha;
    };

  # Documentation can be generated from the options: every visible
  # `artifacts.*` option has a description, and rendering them (defaults
  # included) needs no configuration.
  optionDocs =
    let
      docsOf = base: entry: lib.filter (o: o.visible && !o.internal && !lib.hasInfix "_module" o.name)
        (lib.optionAttrSetToDocList (evalFull base [ entry ]).options.artifacts);
      summarise = map (o: { inherit (o) name; described = (o.description or "") != ""; });
    in
    {
      nixos = summarise (docsOf ./nixos-base.nix ../../modules/nixos);
      home = summarise (docsOf ./home-base.nix ../../modules/home-manager);
    };
}
