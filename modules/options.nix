# The `artifacts.*` option declarations, shared by the NixOS and the Home
# Manager module so that a declaration means the same thing in both. The
# caller says what kind of scope it declares and supplies the defaults that
# differ (the scope's name and its runtime directory).
{ kind # "machine" | "home"
, nameDefault # { default = config: value; defaultText; description; }
, runtimeDirDefault # { default = config: value; defaultText; description; }
}:
{ config, lib, ... }:
let
  inherit (lib) mkOption types literalExpression;
  artifactsLib = import ../lib;
  inherit (artifactsLib) defaults;
  cfg = config.artifacts;
  isMachine = kind == "machine";

  # Every name below becomes a path: checked by ./name-assertions.nix.
  nameRule = "A name is ${(import ./names.nix).rule}: one path component, "
    + "never starting with `.` (reserved for the store's own files) or `-`.";

  fileType = artifactName: types.submodule ({ name, ... }: {
    options = {
      path = mkOption {
        type = types.str;
        default = defaults.filePath { inherit (cfg) runtimeDir; artifact = artifactName; file = name; };
        defaultText = literalExpression ''"''${config.artifacts.runtimeDir}/artifacts/<artifact>/<file>"'';
        description = ''
          Where the deployed file appears on the target. This is the path a
          service reads, and it is the same whatever backend stores the
          artifact, so switching backends never changes it.
        '';
      };
      mode = mkOption {
        type = types.str;
        default = defaults.file.mode;
        description = "Permissions of the deployed file, in a form `chmod` understands.";
      };
      secret = mkOption {
        type = types.bool;
        default = defaults.file.secret;
        description = ''
          Whether the file is secret. Secret files are stored encrypted and
          deployed by the artifact's backend; public parts (`false`) are
          stored in plain text by the CLI and are not deployed by the backend.
        '';
      };
    } // lib.optionalAttrs isMachine {
      owner = mkOption {
        type = types.str;
        default = defaults.file.owner;
        description = "User owning the deployed file.";
      };
      group = mkOption {
        type = types.str;
        default = defaults.file.group;
        description = "Group owning the deployed file.";
      };
    };
  });

  promptType = types.submodule {
    options = {
      description = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "The question shown to whoever runs `artifacts generate`.";
      };
      type = mkOption {
        type = types.enum defaults.promptTypes;
        default = defaults.promptType;
        description = ''
          How the answer is read: `hidden` (not echoed, asked twice), `line`
          (one echoed line) or `multiline` (until end of input, Ctrl-D).
          The answer reaches the generator as the file `$prompts/<name>`.
        '';
      };
    };
  };

  artifactType = types.submodule ({ name, ... }: {
    options = {
      description = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "What the artifact is for, shown by `artifacts list`.";
      };
      files = mkOption {
        type = types.attrsOf (fileType name);
        default = { };
        description = ''
          The files the generator must write into `$out`, by name: exactly
          these, no more and no fewer. ${nameRule} Two files must not be
          stored under the same name: a secret file is stored as
          `<file>.age` (agenix) or `<file>.sops` (sops-nix), a public one as
          `<file>`, so a secret `k` and a public `k.age` collide on agenix.
        '';
      };
      prompts = mkOption {
        type = types.attrsOf promptType;
        default = { };
        description = ''
          Values asked from the user before any generator runs; the generator
          reads each from `$prompts/<name>`. ${nameRule}
        '';
      };
      generator = mkOption {
        type = types.nullOr (types.either types.package types.path);
        default = null;
        example = literalExpression ''pkgs.writers.writeBash "gen" "echo hi > $out/secret"'';
        description = ''
          The program that creates the files: a package (built by the CLI)
          or a path to an executable. It runs sandboxed, without network,
          with `$out` (write the files here), `$prompts`, `$machine` and
          `$artifact` in its environment.
        '';
      };
      backend = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = ''
          The backend storing and deploying this artifact; `null` uses
          {option}`artifacts.default.backend`. Known: ${lib.concatStringsSep ", " (builtins.attrNames (import ./backends))}.
        '';
      };
      shared = mkOption {
        type = types.bool;
        default = false;
        description = ''
          Whether the artifact is one copy shared by every scope declaring it
          (stored under `shared/<artifact>/`, encrypted to all of them) rather
          than one per scope.
        '';
      };
    };
  });
in
{
  options.artifacts = {
    kind = mkOption {
      type = types.enum [ "machine" "home" ];
      default = kind;
      readOnly = true;
      internal = true;
      description = "What this module declares artifacts for; decides the storage folder.";
    };

    name = mkOption {
      type = types.str;
      default = nameDefault.default config;
      inherit (nameDefault) defaultText;
      description = ''
        The scope's name: its folder under `artifacts/${if isMachine then "machines" else "homes"}/`
        and the value of `--${kind}` on the command line. ${nameDefault.description}
        ${nameRule}
      '';
    };

    runtimeDir = mkOption {
      type = types.str;
      default = runtimeDirDefault.default config;
      inherit (runtimeDirDefault) defaultText;
      description = ''
        The directory under which files are deployed by default
        (`<runtimeDir>/artifacts/<artifact>/<file>`). ${runtimeDirDefault.description}
      '';
    };

    publicKey = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... root@alpha";
      description = ''
        The public key whose private half decrypts on the target: an
        `ssh-ed25519 …` key (for a machine its SSH host key, which agenix
        uses directly and sops-nix converts to age) or an `age1…` key.
        Secrets are encrypted to it by the CLI.
      '';
    };

    adminRecipients = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = ''
        Extra recipients (`age1…` or `ssh-ed25519 …`) added to every secret
        so administrators can read dependencies, rekey and show values.
      '';
    };

    directory = mkOption {
      type = types.nullOr types.path;
      default = null;
      defaultText = literalExpression "null (set to self + \"/artifacts\" by the flake-parts module)";
      example = literalExpression "./artifacts";
      description = ''
        The flake's `artifacts/` folder, where the CLI stores generated
        files and where the backends find them. Set automatically by the
        flake-parts module (`inputs.artifacts.flakeModules.default`); set it
        yourself (`./artifacts` next to your `flake.nix`) otherwise.
      '';
    };

    default.backend = mkOption {
      type = types.str;
      default = defaults.backend;
      description = ''
        The backend for artifacts that do not choose one. Known:
        ${lib.concatStringsSep ", " (builtins.attrNames (import ./backends))}.
      '';
    };

    store = mkOption {
      type = types.attrsOf artifactType;
      default = { };
      description = ''
        The artifacts, by name: what they are (files, prompts) and how they
        are made (generator). Where they are stored is the backend's
        business; the path a service reads is `files.<name>.path`.
        ${nameRule}
      '';
    };

    manifest = mkOption {
      type = types.unspecified;
      readOnly = true;
      default = artifactsLib.mkManifest cfg;
      defaultText = literalExpression "lib.mkManifest config.artifacts";
      description = ''
        A read-only, JSON-safe view of these declarations (schema in
        `docs/manifest.md`): the only thing the CLI reads from Nix.
      '';
    };
  };
}
