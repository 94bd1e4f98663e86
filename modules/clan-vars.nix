# clan's `clan.core.vars.generators.<g>` declarations, as clan declares them
# (clan-core nixosModules/clanCore/vars/interface.nix and generator.nix),
# translated to `artifacts.store.<g>`: a module written for clan vars then
# deploys through agenix or sops-nix and our CLI. Each file's `path` and
# `value` are ours, so the module's own reads see where we deploy.
#
# What has no equivalent here is an assertion naming the generator, the
# file or prompt and the option, never a silent difference:
#   - neededFor = "activation" | "partitioning" (we have services and users);
#   - prompt type "multiline-hidden";
#   - files of one generator in different stages (ours is per artifact);
#   - migrateFact (clan's legacy facts);
#   - in a home: neededFor = "users", owner / group other than root.
# Accepted as clan has them since 2025: four-digit modes, the prompts'
# `display` hints (`required = false` is our allowEmpty), a public file's
# `exists`. `clan.core.vars.settings` (the store choice): ./clan-vars-settings.nix.
# restartUnits become the artifact's `services`: restarted when a new value
# is deployed, as clan does, and also bound to the artifact's unit (they
# start only once its files are in place), which clan does not do.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  store = config.artifacts.store;
  generatorsCfg = config.clan.core.vars.generators;
  isMachine = config.artifacts.kind == "machine";
  where = g: "clan.core.vars.generators.${g}";

  fileType = g: types.submodule ({ name, config, ... }: {
    options = {
      name = mkOption { type = types.str; readOnly = true; default = name; description = "The file's name."; };
      generatorName = mkOption { type = types.str; readOnly = true; default = g; description = "The generator making it."; };
      secret = mkOption { type = types.bool; default = true; description = "Whether the file is secret."; };
      deploy = mkOption { type = types.bool; default = true; description = "Whether the file reaches the machine."; };
      owner = mkOption { type = types.str; default = "root"; description = "User owning the deployed file."; };
      group = mkOption { type = types.str; default = "root"; description = "Group owning the deployed file."; };
      # Four digits since clan-core 2025-04 ("0640"), three before ("440").
      mode = mkOption { type = types.strMatching "^[0-7]{3,4}$"; default = "0400"; description = "Permissions, four (or three) octal digits."; };
      neededFor = mkOption {
        type = types.enum [ "partitioning" "activation" "users" "services" ];
        default = "services";
        description = "When the file must be in place; only `users` and `services` exist here.";
      };
      restartUnits = mkOption { type = types.listOf types.str; default = [ ]; description = "Units restarted when the value changes (our `services`)."; };
      path = mkOption { type = types.str; readOnly = true; description = "Set from `artifacts.store.<g>.files.<f>.path`."; };
      value = mkOption { type = types.str; description = "Set from `artifacts.store.<g>.files.<f>.value` (public files)."; };
      # clan's sshd reads it before using a public key that may not be generated yet.
      exists = mkOption {
        type = types.bool;
        readOnly = true;
        description = "Whether a public file is stored; reading it for a secret file is an error, as in clan.";
        default =
          if config.secret
          then throw "${where g}.files.${name}.exists: whether a secret file exists cannot be known at evaluation time (clan says the same); read it only for public files."
          else (builtins.tryEval store.${g}.files.${name}.value).success;
      };
    };
    config.path = store.${g}.files.${name}.path;
    # Our value when it can be read; otherwise a module's own fallback
    # (lib.mkDefault) wins, and without one ours throws with what to run.
    config.value =
      let ours = store.${g}.files.${name}.value; in
      if (builtins.tryEval ours).success then lib.mkOverride 900 ours else lib.mkOptionDefault ours;
  });

  promptType = gen: types.submodule ({ name, ... }: {
    imports = [ (lib.mkRenamedOptionModule [ "createFile" ] [ "persist" ]) ];
    options = {
      name = mkOption { type = types.str; default = name; description = "The prompt's name."; };
      description = mkOption { type = types.str; default = name; description = "The question shown."; };
      type = mkOption {
        type = types.enum [ "hidden" "line" "multiline" "multiline-hidden" ];
        default = "line";
        description = "How the answer is read; `multiline-hidden` has no equivalent here.";
      };
      # clan's interface hints: `required = false` is our `allowEmpty`;
      # the others shape clan's GUI, and the CLI asks with `description`.
      display = {
        group = mkOption { type = types.nullOr types.str; default = null; description = "clan's prompt group; not used here."; };
        label = mkOption { type = types.nullOr types.str; default = null; description = "clan's prompt label; not used here."; };
        required = mkOption { type = types.bool; default = true; description = "Whether an empty answer is refused on a terminal (our `allowEmpty`, negated)."; };
        helperText = mkOption { type = types.nullOr types.str; default = null; description = "clan's helper text; not used here."; };
      };
      persist = mkOption {
        type = types.bool;
        default = gen.script == "";
        defaultText = lib.literalExpression ''script == ""'';
        description = "Store the answer as the secret file of the same name.";
      };
    };
  });

  generatorType = types.submodule ({ name, config, ... }: {
    options = {
      name = mkOption { type = types.str; readOnly = true; default = name; description = "The generator's name."; };
      files = mkOption { type = types.attrsOf (fileType name); default = { }; description = "The files `script` writes into `$out`."; };
      prompts = mkOption { type = types.attrsOf (promptType config); default = { }; description = "Values asked before the script runs (`$prompts/<p>`)."; };
      runtimeInputs = mkOption { type = types.listOf types.package; default = [ ]; description = "Packages on the script's PATH."; };
      dependencies = mkOption { type = types.listOf types.str; default = [ ]; description = "Generators read as `$in/<dep>/<file>`."; };
      validation = mkOption { type = types.anything; default = null; description = "Values whose change regenerates the files."; };
      script = mkOption { type = types.either types.str types.path; default = ""; description = "The script, run with `$out`, `$prompts`, `$in`."; };
      share = mkOption { type = types.bool; default = false; description = "One copy shared by every machine."; };
      migrateFact = mkOption { type = types.nullOr types.str; default = null; description = "clan's legacy facts: no equivalent here."; };
    };
    # A persisted prompt is a secret file of the same name (clan's generator.nix).
    config.files = lib.mapAttrs (_: _: { }) (lib.filterAttrs (_: p: p.persist) config.prompts);
  });

  persisted = gen: lib.attrNames (lib.filterAttrs (_: p: p.persist) gen.prompts);
  deployed = gen: lib.filterAttrs (_: f: f.deploy) gen.files;
  stages = gen: lib.unique (lib.mapAttrsToList (_: f: f.neededFor) (deployed gen));

  translate = g: gen: {
    files = lib.mapAttrs
      (_: f: { inherit (f) secret deploy; mode = if lib.stringLength f.mode == 3 then "0${f.mode}" else f.mode; }
        // lib.optionalAttrs isMachine { inherit (f) owner group; })
      gen.files;
    prompts = lib.mapAttrs
      (_: p: {
        inherit (p) description;
        type = if p.type == "multiline-hidden" then "multiline" else p.type;
        allowEmpty = !p.display.required;
      })
      gen.prompts;
    generator = pkgs.writeShellScript "clan-vars-${g}" ''
      set -eu -o pipefail
      ${lib.concatMapStrings (p: ''cat "$prompts/${p}" > "$out/${p}"
      '') (persisted gen)}
      ${gen.script}
    '';
    inherit (gen) runtimeInputs dependencies validation;
    shared = gen.share;
    neededFor = if stages gen == [ "users" ] then "users" else "services";
    services = lib.unique (lib.concatLists (lib.mapAttrsToList (_: f: f.restartUnits) (deployed gen)));
  };

  # Everything of one generator that has no equivalent.
  problems = g: gen:
    lib.concatLists (lib.mapAttrsToList
      (f: file:
        lib.optional (file.deploy && builtins.elem file.neededFor [ "activation" "partitioning" ])
          "${where g}.files.${f}.neededFor = \"${file.neededFor}\": there is no ${file.neededFor} stage here, only \"services\" and \"users\"."
        ++ lib.optional (!isMachine && file.neededFor == "users")
          "${where g}.files.${f}.neededFor = \"users\": Home Manager has no users stage."
        ++ lib.optional (!isMachine && (file.owner != "root" || file.group != "root"))
          "${where g}.files.${f}: owner / group ${file.owner}:${file.group}: Home Manager deploys a home's files as its user; leave them unset.")
      gen.files)
    ++ lib.mapAttrsToList (p: _: "${where g}.prompts.${p}.type = \"multiline-hidden\" has no equivalent here; use \"multiline\" (echoed) or \"hidden\" (one line).")
      (lib.filterAttrs (_: p: p.type == "multiline-hidden") gen.prompts)
    ++ lib.optional (lib.length (lib.filter (s: builtins.elem s [ "users" "services" ]) (stages gen)) > 1)
      "${where g}: its deployed files are needed for both \"users\" and \"services\"; here one generator has one stage. Split it, or give every file the same neededFor."
    ++ lib.optional (gen.migrateFact != null)
      "${where g}.migrateFact = \"${gen.migrateFact}\": clan's legacy facts have no equivalent here; import the values with `artifacts import` instead.";
in
{
  imports = [ ./clan-vars-settings.nix ];

  options.clan.core.vars.generators = mkOption {
    type = types.attrsOf generatorType;
    default = { };
    description = ''
      clan's vars generators, as clan declares them; each becomes
      {option}`artifacts.store.<g>` of the same name.
    '';
  };

  config = {
    artifacts.store = lib.mapAttrs translate generatorsCfg;
    assertions = map (message: { assertion = false; message = "artifacts: ${config.artifacts.kind} '${config.artifacts.name}': ${message}"; })
      (lib.concatLists (lib.mapAttrsToList problems generatorsCfg));
  };
}
