# The `artifacts.*` option declarations, shared by the NixOS and the Home
# Manager module so that a declaration means the same thing in both. The
# caller says what kind of scope it declares and supplies the defaults that
# differ (the scope's name and its runtime directory). The type of one
# artifact, and of its files and prompts, is in ./types.
{ kind # "machine" | "home"
, nameDefault # { default = config: value; defaultText; description; }
, runtimeDirDefault # { default = config: value; defaultText; description; }
}:
{ config, lib, ... }:
let
  inherit (lib) mkOption types literalExpression;
  artifactsLib = import ../lib;
  helpers = import ./lib.nix { inherit lib; };
  inherit (artifactsLib) defaults;
  cfg = config.artifacts;
  isMachine = kind == "machine";

  # Every name below becomes a path: checked by ./name-assertions.nix.
  nameRule = "A name is ${(import ./names.nix).rule}: one path component, "
    + "never starting with `.` (reserved for the store's own files) or `-`.";

  artifactType = import ./types/artifact.nix { inherit lib cfg isMachine nameRule; };
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

    backends = mkOption {
      type = types.attrsOf (types.submodule {
        options = {
          check = mkOption { type = types.either types.package types.path; description = "The script that says whether an artifact is stored and current."; };
          serialize = mkOption { type = types.either types.package types.path; description = "The script that stores an artifact's files."; };
          deserialize = mkOption { type = types.nullOr (types.either types.package types.path); default = null; description = "The script that reads stored files back (optional)."; };
          timeout = mkOption { type = types.nullOr types.ints.positive; default = null; description = "Seconds per call (default: 600)."; };
        };
      });
      default = { };
      description = ''
        Script backends declared in Nix, by name, usable as an artifact's
        `backend` (see BACKEND_GUIDE.md). The CLI runs them; the modules
        deploy nothing for them.
      '';
    };

    config = mkOption {
      # A submodule with a free-form type: plain values as before, and
      # modules may declare options under it, as the original
      # nixos-artifacts' backends do
      # (`options.artifacts.config.test.key = lib.mkOption { ... }`),
      # which `attrsOf anything` refuses ("does not support nested options").
      type = types.submodule { freeformType = types.attrsOf types.anything; };
      default = { };
      example = literalExpression ''{ password-store.prefix = "infra/nixos"; }'';
      description = ''
        Configuration handed to script backends as is, by backend name
        (BACKEND_GUIDE.md): `config.<backend>` is that backend's `config`
        in `$targets`. Any JSON-like value; a module may also declare
        options here (`options.artifacts.config.<backend>.<key> = lib.mkOption { ... }`)
        to type and document a backend's settings.
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

    templates = mkOption {
      type = types.attrsOf (import ./types/template.nix { inherit lib cfg isMachine nameRule; });
      default = { };
      example = literalExpression ''
        {
          "attic.toml" = {
            content = "token = ''${config.artifacts.placeholder.attic.token}";
            owner = "atticd";
            services = [ "atticd" ];
          };
        }
      '';
      description = ''
        Files rendered on the target from a content with placeholders
        ({option}`artifacts.placeholder`), once the artifacts' files are
        deployed: a configuration file holding a secret, for every backend.
        Rendered atomically with the given owner and mode by the unit
        `artifacts-template-<name>.service`; nothing secret enters the Nix
        store, a command line or the journal. ${nameRule}
      '';
    };

    placeholder = mkOption {
      type = types.attrsOf (types.attrsOf types.str);
      readOnly = true;
      default = lib.mapAttrs
        (artifactName: artifact: lib.mapAttrs
          (fileName: decl:
            if decl.deploy then helpers.placeholder artifactName fileName
            else throw "artifacts: ${kind} '${cfg.name}', artifact '${artifactName}': the file '${fileName}' has deploy = false: it never reaches the machine, so no template can use its placeholder. Set deploy = true, or leave it out of the template.")
          artifact.files)
        cfg.store;
      defaultText = literalExpression ''"<ARTIFACTS:<artifact>/<file>:PLACEHOLDER>"'';
      description = ''
        `placeholder.<artifact>.<file>`: a fixed string standing for the
        deployed file's value in {option}`artifacts.templates`, safe to put
        in the Nix store. A file with `deploy = false` has none.
      '';
    };

    package = mkOption {
      type = types.nullOr types.package;
      default = null;
      defaultText = lib.literalMD "`null`; this project's `nixosModules.default` / `homeModules.default` and its flake-parts module set the flake's package";
      description = ''
        The `artifacts` package whose `artifacts machine generate` makes the
        files of dummy-backend artifacts on the target. Only needed when an
        artifact uses the dummy backend; the modules of this project's flake
        set it to the flake's package.
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
