# NixOS cases: the announcement on machine alpha with agenix and sops-nix,
# stored files present or missing, and the configuration errors the modules
# report by assertion.
{ lib, machine, summary, failed, agenixNixos, sopsNixos, announcement, agenixOnly, fixtures, empty, ... }:
{
  # The announcement on a machine mixing both backends, files present.
  announcement = let config = machine [ agenixNixos sopsNixos announcement { artifacts.directory = fixtures; } ]; in
    summary config // {
      atticEnvironmentFile = config.services.atticd.environmentFile;
      manifestName = config.artifacts.manifest.name;
    };

  # `rotateAfter` reaches the manifest as declared; a malformed one is
  # refused by its type.
  rotation = let
    withRotation = rotateAfter: machine [ agenixNixos { artifacts.directory = empty; artifacts.store.ca = { files.key = { }; inherit rotateAfter; }; } ];
  in {
    declared = (withRotation "90d").artifacts.manifest.artifacts.ca.rotateAfter;
    unset = (machine [ agenixNixos { artifacts.directory = empty; artifacts.store.ca.files.key = { }; } ]).artifacts.manifest.artifacts.ca.rotateAfter;
    wellFormed = (builtins.tryEval (builtins.deepSeq (withRotation "90d").artifacts.manifest null)).success;
    malformed = (builtins.tryEval (builtins.deepSeq (withRotation "90 days").artifacts.manifest null)).success;
  };

  # The module system's manifest, to be equal to tests/golden/announcement.json.
  manifest = (machine [ agenixNixos sopsNixos announcement ]).artifacts.manifest;

  # The same declarations, nothing generated yet.
  missing = summary (machine [ agenixNixos sopsNixos announcement { artifacts.directory = empty; } ]);

  # `artifacts.directory` never set.
  directoryUnset.failed = failed (machine [ agenixNixos sopsNixos announcement ]);

  # A script backend declared in Nix: in the manifest, no assertion.
  scriptBackend = let config = machine [{
    artifacts.directory = empty;
    artifacts.backends.folder = { check = ../../lib/tests/stand-in-pkgs.nix; serialize = ../../lib/tests/stand-in-pkgs.nix; };
    artifacts.config.folder.dir = "/srv/secrets";
    artifacts.store.token = { backend = "folder"; files.value = { }; };
  }]; in
    summary config // { inherit (config.artifacts.manifest) backends config; backend = config.artifacts.manifest.artifacts.token.backend; };

  # A backend only a backend.toml knows (Nix does not).
  unknownBackend = summary (machine [ agenixNixos announcement { artifacts.directory = fixtures; artifacts.default.backend = lib.mkForce "vault"; artifacts.store.attic.backend = lib.mkForce "vault"; } ]);

  # agenix only, sops-nix not imported: evaluates, nothing asked of sops.
  agenixOnly = summary (machine [ agenixNixos agenixOnly { artifacts.directory = fixtures; } ]);

  # An artifact on sops-nix while sops-nix's module is not imported.
  sopsNotImported = summary (machine [ agenixNixos announcement { artifacts.directory = fixtures; } ]);

  # Everything on sops-nix by default, agenix not imported.
  sopsDefault = summary (machine [ sopsNixos announcement { artifacts.directory = fixtures; artifacts.default.backend = lib.mkForce "sops-nix"; } ]);
}
