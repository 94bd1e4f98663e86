# Names become paths in the store (`artifacts/<kind>s/<name>/<artifact>/<file>`)
# and on the CLI's side (`$prompts/<prompt>`), so every name is checked where
# it is declared, with the rules of ./names.nix (the CLI checks them again):
# `artifacts.name`, artifact names and prompt names with the narrow rule,
# file names with the wider file rule. Two files of
# one artifact must not be stored under the same name by the artifact's
# backend either (a secret `k` and a public `k.age` on agenix).
# Evaluating these never throws, whatever the names: messages quote them.
{ kind }:
{ config, lib, ... }:
let
  cfg = config.artifacts;
  names = import ./names.nix;
  helpers = import ./lib.nix { inherit lib; };
  backends = import ./backends;

  scope = "artifacts: ${kind} ${names.show cfg.name}";
  inArtifact = artifactName: "${scope}, artifact ${names.show artifactName}";
  # An option's path as `lib.showOption` writes it, with names quoted by
  # ./names.nix when they hold what it would print raw (a control
  # character).
  option = path:
    if lib.all (n: names.quote n == builtins.toJSON n) path then lib.showOption ([ "artifacts" ] ++ path)
    else lib.concatMapStringsSep "." (n: if names.valid n then n else names.quote n) ([ "artifacts" ] ++ path);

  # `file = true`: the wider rule of file names (../lib/names.nix).
  check = { where, what, name, fix, file ? false }:
    let problem = if file then names.fileProblem name else names.problem name; in {
      assertion = problem == null;
      message = "${where}: the ${what} ${names.quote name} is not valid: ${problem}. "
        + "${if file then "File names" else "Names"} are ${if file then names.fileRule else names.rule}. ${fix}";
    };

  scopeName = check {
    where = scope;
    what = "${kind} name";
    name = cfg.name;
    fix = "Set artifacts.name to a valid name (it defaults to "
      + (if kind == "machine" then "networking.hostName" else "home.username, or \"<user>@<machine>\" inside NixOS")
      + ").";
  };

  artifactNames = lib.mapAttrsToList
    (artifactName: _: check {
      where = scope;
      what = "artifact name";
      name = artifactName;
      fix = "Rename ${option [ "store" artifactName ]}.";
    })
    cfg.store;

  # The names under one attribute of every artifact: "files" or "prompts".
  memberNames = what: attribute: lib.concatLists (lib.mapAttrsToList
    (artifactName: artifact: lib.mapAttrsToList
      (name: _: check {
        where = inArtifact artifactName;
        inherit what name;
        file = attribute == "files";
        fix = "Rename ${option [ "store" artifactName attribute name ]}.";
      })
      artifact.${attribute})
    cfg.store);

  # Files of one artifact stored under the same name by its backend.
  # Unknown backends have their own assertion (./common.nix); the dummy
  # backend stores nothing.
  collisions = lib.concatLists (lib.mapAttrsToList
    (artifactName: artifact:
      let
        backend = helpers.backendOf cfg artifact;
        extension = backends.${backend}.extension;
        byStoredName = lib.groupBy (fileName: helpers.storedName extension fileName artifact.files.${fileName})
          (builtins.attrNames artifact.files);
      in
      lib.optionals (helpers.isStoredBackend cfg artifact) (lib.mapAttrsToList
        (stored: fileNames: {
          assertion = builtins.length fileNames < 2;
          message = "${inArtifact artifactName}: the files "
            + lib.concatMapStringsSep " and " builtins.toJSON fileNames
            + " would be stored as the same file ${builtins.toJSON stored} by the ${backend} backend "
            + "(it stores a secret file as <file>.${extension}, a public one as <file>). "
            + "Rename one of them in ${option [ "store" artifactName "files" ]}.";
        })
        byStoredName))
    cfg.store);
in
{
  config.assertions = [ scopeName ] ++ artifactNames
    ++ memberNames "file name" "files"
    ++ memberNames "prompt name" "prompts"
    ++ collisions;
}
