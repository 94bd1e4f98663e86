# The type of `artifacts.store.<artifact>.files.<file>`: where and how a file
# is deployed, and, for a public part, its content at evaluation time.
{ lib, cfg, isMachine, artifactName, artifact }:
let
  inherit (lib) mkOption types literalExpression literalMD;
  defaults = (import ../../lib).defaults;
  helpers = import ../lib.nix { inherit lib; };
  names = import ../names.nix;
in
types.submodule ({ name, config, ... }:
let
  # Whether the stored file can be read, and why not. Nothing is read from
  # a folder whose names are invalid (../name-assertions.nix reports them).
  stored = helpers.storedFile cfg artifactName artifact name config;
  scope = "artifacts: ${cfg.kind} ${names.show cfg.name}, artifact ${names.show artifactName}";
  command = helpers.generateCommand cfg artifactName;
  option = "artifacts.store.${artifactName}.files.${name}.value";
  unavailable =
    if config.secret then
      "${scope}: the file '${name}' is secret, so it has no value at evaluation time "
      + "(it would be copied to the world-readable Nix store). Read it on the target at ${config.path}, "
      + "or make it a public part with files.${name}.secret = false."
    else if helpers.backendOf cfg artifact == "dummy" then
      "${scope}: the file '${name}' is generated on the machine by the dummy backend, "
      + "so it has no value at evaluation time. Give ${option} a fallback with lib.mkDefault."
    else if !helpers.isStoredBackend cfg artifact then
      "${scope}: unknown backend '${helpers.backendOf cfg artifact}', so the file '${name}' has no value."
    else if !(helpers.safeFolder cfg artifactName artifact && names.validFile name) then
      "${scope}: the file ${names.show name} has no value: a name on its path is not valid (see the failed assertions)."
    else if cfg.directory == null then
      "${scope}: the public file '${name}' cannot be read: artifacts.directory is not set. "
      + "Import inputs.artifacts.flakeModules.default in your flake-parts flake, "
      + "or set artifacts.directory = ./artifacts; next to your flake.nix."
    else
      "${scope}: the public file '${name}' is not generated yet "
      + "(artifacts/${stored.relative} is missing). Run: ${command} "
      + "(or give ${option} a fallback with lib.mkDefault).";
  # Where a file of the users stage is: sops-nix puts those under
  # /run/secrets-for-users (its `neededForUsers`), the others where `path`
  # says by default.
  defaultPath =
    if isMachine && artifact.neededFor == "users" && helpers.backendOf cfg artifact == "sops-nix"
    then "/run/secrets-for-users/${artifactName}/${name}"
    else defaults.filePath { inherit (cfg) runtimeDir; artifact = artifactName; file = name; };
  notDeployed = "${scope}: the file '${name}' has deploy = false: it never reaches the machine, so it has no path "
    + "(and no template can use it). Read it from a dependent's $in, or set files.${name}.deploy = true.";
  readable = !config.secret && helpers.isStoredBackend cfg artifact
    && helpers.safeFolder cfg artifactName artifact && names.validFile name
    && helpers.isStored cfg stored;
in
{
  options = {
    path = mkOption {
      type = types.str;
      default = if config.deploy then defaultPath else throw notDeployed;
      defaultText = literalExpression ''"''${config.artifacts.runtimeDir}/artifacts/<artifact>/<file>"'';
      description = ''
        Where the deployed file appears on the target. This is the path a
        service reads, and it is the same whatever backend stores the
        artifact, so switching backends never changes it. One exception:
        a file of the users stage (`neededFor = "users"`) on sops-nix is
        where sops-nix puts those, `/run/secrets-for-users/<artifact>/<file>`.
        A file with `deploy = false` has no path: reading it is an error.
      '';
    };
    deploy = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Whether the file reaches the machine. `false`: it is stored (for the
        generators of dependents, through `$in`, for `show` and rekeying)
        but never deployed: no `age.secrets` / `sops.secrets` entry, no unit
        waits for it, nothing of it is in the system closure, and it has no
        `path`. For a CA's private key, which every certificate's generator
        needs and the server must not hold.
      '';
    };
    mode = mkOption {
      type = types.str;
      default = defaults.file.mode;
      description = ''
        Permissions of the deployed file, in a form `chmod` understands.
        The dummy backend needs the octal form (`"0440"`).
      '';
    };
    secret = mkOption {
      type = types.bool;
      default = defaults.file.secret;
      description = ''
        Whether the file is secret. Secret files are stored encrypted and
        deployed by the artifact's backend. Public parts (`false`) are
        stored in plain text, readable at evaluation time as `value`, and
        deployed at `path` from the Nix store, without any secret backend.
      '';
    };
    value = mkOption {
      type = types.str;
      default = throw unavailable;
      defaultText = literalMD "the stored file's content (public parts only)";
      example = literalExpression ''lib.mkDefault "not generated yet"'';
      description = ''
        The content of a public part (`secret = false`), read at evaluation
        time from the stored file, byte for byte, e.g. a WireGuard public
        key for the peers' configurations. Reading it before the file is
        generated fails with the command to run, unless a module gives a
        fallback with `lib.mkDefault`; the stored file takes precedence over
        such a fallback as soon as it exists (it is defined with priority
        900, between `lib.mkDefault` and a plain definition). Secret files
        and files the dummy backend makes on the machine have no value.
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

  config.value = lib.mkIf readable (lib.mkOverride 900 (builtins.readFile stored.stored));
})
