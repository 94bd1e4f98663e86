# agenix: every secret file becomes an entry of the stock agenix module's
# `age.secrets."<artifact>/<file>"`, decrypting the `.age` file the CLI wrote
# to `files.<f>.path`. What every backend file says is listed in wire.nix.
#
# agenix's activation script puts an entry's `name`, `file` and `path`
# between double quotes, where `"`, `$`, `` ` `` and `\` still mean
# something to the shell. File names may hold those (../names.nix), so:
#   - `file` is the stored file, or a copy with a safe name (../lib.nix
#     `source`);
#   - `name` (the file under /run/agenix) is `<artifact>/<file>` when the
#     file name is also a valid artifact name, else `<artifact>/<safe>=<hash>`:
#     the file name's characters outside A-Z a-z 0-9 _ . @ + - made `_`,
#     then `=` (no such name holds one, so none collides) and 16 hex digits
#     of the name's sha256;
#   - a `path` holding one of the four is refused by an assertion: it is
#     the path a service reads, which must stay as declared.
let
  names = import ../names.nix;
  # A Home Manager path may start with the literal `${XDG_RUNTIME_DIR}`
  # (`artifacts.runtimeDir`), which agenix's script is meant to expand.
  runtimeVariable = "\${XDG_RUNTIME_DIR}";
  unquoted = path:
    let
      n = builtins.stringLength runtimeVariable;
      rest = if builtins.substring 0 n path == runtimeVariable then builtins.substring n (builtins.stringLength path) path else path;
      found = builtins.filter (c: builtins.replaceStrings [ c ] [ "" ] rest != rest) [ "\"" "$" "`" "\\" ];
    in
    if found == [ ] then null else builtins.head found;
in
{
  extension = "age";
  option = "age";
  howToImport = kind:
    if kind == "machine"
    then "add inputs.agenix.nixosModules.default to the machine's modules."
    else "add inputs.agenix.homeManagerModules.default to the home's modules.";
  secretOf = kind: f: {
    file = f.source;
    inherit (f.decl) path mode;
  } // (if names.valid f.file then { } else {
    name = "${f.artifact}/${names.replaceUnsafe "A-Za-z0-9_.@+-" f.file}=${builtins.substring 0 16 (builtins.hashString "sha256" f.file)}";
  }) // (if kind == "machine" then {
    # agenix's Home Manager module has no owner/group: files belong to the user.
    inherit (f.decl) owner group;
  } else { });
  assertionsOf = { cfg, files }: map
    (f:
      let c = unquoted f.decl.path; in {
        assertion = c == null;
        message = "artifacts: ${cfg.kind} '${cfg.name}', artifact '${f.artifact}': the file ${builtins.toJSON f.file} "
          + "is deployed by agenix at ${builtins.toJSON f.decl.path}, which holds ${builtins.toJSON c}: agenix's activation "
          + "script does not quote it. Set artifacts.store.${f.artifact}.files.${builtins.toJSON f.file}.path to a path "
          + "without \" $ ` or \\, or use the sops-nix backend for this artifact.";
      })
    files;
  # agenix decrypts in an activation script, or in this unit when NixOS
  # uses systemd-sysusers; in Home Manager, in a user unit.
  deployerUnits = kind:
    if kind == "machine" then [ "agenix-install-secrets.service" ] else [ "agenix.service" ];
  # agenix restarts nothing (ryantm/agenix#84): ../services.nix does.
  restartsUnits = _kind: false;
}
