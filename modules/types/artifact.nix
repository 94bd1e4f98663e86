# The type of `artifacts.store.<artifact>`: what an artifact is (files,
# prompts), how it is made (generator, dependencies, validation), where it
# goes (backend, shared) and what depends on it on the target (services).
{ lib, cfg, isMachine, nameRule }:
let
  inherit (lib) mkOption types literalExpression;
  units = import ../unit-names.nix;
  known = lib.concatStringsSep ", " (builtins.attrNames (import ../backends));
  unitKind = if isMachine then "systemd.services" else "systemd.user.services";
in
types.submodule ({ name, config, ... }: {
  options = {
    description = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "What the artifact is for, shown by `artifacts list`.";
    };
    files = mkOption {
      type = types.attrsOf (import ./file.nix { inherit lib cfg isMachine; artifactName = name; artifact = config; });
      default = { };
      description = ''
        The files the generator must write into `$out`, by name: exactly
        these, no more and no fewer. A file name is ${(import ../names.nix).fileRule}
        (spaces and non-ASCII letters are fine). Two files must not be
        stored under the same name: a secret file is stored as
        `<file>.age` (agenix) or `<file>.sops` (sops-nix), a public one as
        `<file>`, so a secret `k` and a public `k.age` collide on agenix.
      '';
    };
    prompts = mkOption {
      type = types.attrsOf (import ./prompt.nix { inherit lib; });
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
        with `$out` (write the files here), `$prompts`, `$in`, `$machine`
        and `$artifact` in its environment.
      '';
    };
    dependencies = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "ca" ];
      description = ''
        Artifacts this one is made from: each is an artifact of the same
        machine or home, or a shared artifact. The generator reads every
        file of each as `$in/<dependency>/<file>`, and regenerating a
        dependency regenerates this artifact too.
      '';
    };
    validation = mkOption {
      type = types.anything;
      default = null;
      example = literalExpression ''{ commonName = "attic.example.org"; days = 365; }'';
      description = ''
        Any JSON value describing what the stored value was made for (a
        certificate's name, a key size). Its hash is kept with the stored
        artifact: changing it makes the artifact, and what depends on it,
        stale, so the next `artifacts generate` makes it again.
      '';
    };
    neededFor = mkOption {
      type = types.enum [ "services" "users" ];
      default = "services";
      example = "users";
      description = ''
        When the files must be in place. `"services"`: before the services
        listed in {option}`services` start. `"users"`: before NixOS creates
        users and sets their passwords during activation, for
        `users.users.<name>.hashedPasswordFile`. Files of the users stage
        are owned by root. On sops-nix they are sops-nix's
        `neededForUsers` secrets and their default `path` is
        `/run/secrets-for-users/<artifact>/<file>`; on agenix they are
        decrypted before the users step; on the dummy backend an
        activation script ordered before it makes them. Home Manager has
        no users stage: `"users"` is an error there.
      '';
    };
    runtimeInputs = mkOption {
      type = types.listOf types.package;
      default = [ ];
      example = literalExpression "[ pkgs.openssl pkgs.wireguard-tools ]";
      description = ''
        Packages whose `bin/` folders come first on the generator's `PATH`,
        built by the CLI in the same batch as the generators, so the
        generator finds the same tools on every admin's machine.
      '';
    };
    backend = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = ''
        The backend storing and deploying this artifact; `null` uses
        {option}`artifacts.default.backend`. Known: ${known}. `dummy`
        stores nothing: the target runs the generator itself (for tests).
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
    services = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "atticd" ];
      description = ''
        Services (`${unitKind}` names, with or without `.service`) that
        need this artifact: they are bound to its unit (`BindsTo=` and
        `After=` {option}`unit`), so they start only once every file is
        deployed and stop with it, and they restart when a switch deploys a
        new value (regenerated, rekeyed or edited). Unchanged values
        restart nothing.
      '';
    };
    reloadServices = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "nginx" ];
      description = ''
        Like {option}`services`, but reloaded instead of restarted when a
        switch deploys a new value. On the dummy backend a new value means
        the artifact's unit ran again, which systemd propagates to bound
        units as a restart.
      '';
    };
    unit = mkOption {
      type = types.str;
      readOnly = true;
      default = units.artifactUnit name;
      defaultText = literalExpression ''"artifact-<name>.service"'';
      description = ''
        The artifact's systemd unit${lib.optionalString (!isMachine) " (a user unit)"}: active
        exactly when every file of the artifact is deployed at its `path`.
        On the dummy backend it is the unit that generates them. `@` and
        `+` in the artifact's name are escaped as `systemd-escape` does.
      '';
    };
  };
})
