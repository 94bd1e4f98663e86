# clan's `clan.core.vars.settings`: clan's choice of its own stores
# (clan-core modules/clan/vars/settings-opts.nix), set on a machine by
# configurations older than clan's flake-level `clan.vars.settings`.
# `secretStore` "sops" and "age" name what sops-nix and agenix do here, and
# choose our default backend; a plain `artifacts.default.backend` that says
# otherwise is an assertion, never a silent difference. "password-store",
# "custom" and clan's store internals (recipients, fileModule, ...) have no
# equivalent: assertions naming them. Part of ./clan-vars.nix.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  settings = config.clan.core.vars.settings;
  backendOf = { sops = "sops-nix"; age = "agenix"; };
  mapped = if settings.secretStore == null then null else backendOf.${settings.secretStore} or null;
  settingsProblems =
    let
      w = "clan.core.vars.settings";
      others = lib.attrNames (removeAttrs settings [ "secretStore" "publicStore" ]);
      backend = config.artifacts.default.backend;
    in
    lib.optional (settings.secretStore != null && mapped == null)
      "${w}.secretStore = \"${settings.secretStore}\" has no equivalent here: choose artifacts.default.backend (\"agenix\", \"sops-nix\" or a script backend) and remove it."
    ++ lib.optional (mapped != null && backend != mapped)
      "${w}.secretStore = \"${settings.secretStore}\" means artifacts.default.backend = \"${mapped}\", but it is \"${backend}\"; remove one of them."
    ++ map (k: "${w}.${k} is one of clan's store internals, with no equivalent here; remove it (recipients here are artifacts.publicKey and artifacts.adminRecipients).") others;
in
{
  options.clan.core.vars.settings = mkOption {
    type = types.submodule {
      freeformType = types.lazyAttrsOf types.anything;
      options.secretStore = mkOption {
        type = types.nullOr (types.enum [ "sops" "password-store" "age" "custom" ]);
        default = null;
        description = ''
          clan's secret store: `"sops"` makes {option}`artifacts.default.backend`
          `"sops-nix"`, `"age"` makes it `"agenix"` (with `lib.mkDefault`);
          the others have no equivalent (an assertion).
        '';
      };
      options.publicStore = mkOption {
        type = types.enum [ "in_repo" ];
        default = "in_repo";
        description = "clan's public store; public files are in the repository here too.";
      };
    };
    default = { };
    description = ''
      clan's vars settings. Other keys (clan's store internals) are
      assertions naming them.
    '';
  };

  config = {
    artifacts.default.backend = lib.mkIf (mapped != null) (lib.mkDefault mapped);
    assertions = map (message: { assertion = false; message = "artifacts: ${config.artifacts.kind} '${config.artifacts.name}': ${message}"; })
      settingsProblems;
  };
}
