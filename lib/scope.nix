# `mkScope`: a stand-in for a NixOS or Home Manager configuration for flakes
# without nixpkgs (examples, test fixtures). The CLI reads only
# `config.artifacts.manifest`; other configurations read public parts as
# `config.artifacts.store.<a>.files.<f>.value`, as with the modules
# (modules/types/file.nix): the stored file's content when `directory` is
# set and it is generated, an error naming the command to run otherwise.
#   mkScope { kind = "machine"; name = "alpha"; publicKey = "ssh-ed25519 ..."; directory = ./artifacts; store = { ... }; }
{ defaults, mkManifest }:
args:
let
  names = import ./names.nix;
  kind = args.kind or "machine";
  name = args.name;
  folder = if kind == "machine" then "machines" else "homes";
  defaultBackend = (args.default or { }).backend or defaults.backend;
  scope = "artifacts: ${kind} ${names.show name}";

  valueOf = artifactName: artifact: fileName:
    let
      relative = (if artifact.shared or false then "shared" else "${folder}/${name}")
        + "/${artifactName}/${fileName}";
      stored = args.directory + "/${relative}";
      backend = if (artifact.backend or null) == null then defaultBackend else artifact.backend;
      valid = names.valid artifactName && names.validFile fileName && ((artifact.shared or false) || names.valid name);
    in
    if backend == "dummy" then
      throw "${scope}, artifact ${names.show artifactName}: the file '${fileName}' is generated on the machine by the dummy backend, so it has no value at evaluation time."
    else if !valid then
      throw "${scope}, artifact ${names.show artifactName}: the file ${names.show fileName} has no value: a name on its path is not valid (names are ${names.rule}; file names are ${names.fileRule})."
    else if builtins.pathExists stored then builtins.readFile stored
    else throw ("${scope}, artifact ${names.show artifactName}: the public file '${fileName}' is not generated yet "
      + "(artifacts/${relative} is missing). Run: nix run .#artifacts -- generate --${kind} ${name} --artifact ${artifactName}");

  # Public files get a `value` when the directory is known.
  withValues = builtins.mapAttrs
    (artifactName: artifact: artifact // {
      files = builtins.mapAttrs
        (fileName: file:
          let f = if file == null then { } else file; in
          if (f.secret or defaults.file.secret) then f
          else f // { value = valueOf artifactName artifact fileName; })
        (artifact.files or { });
    })
    (args.store or { });
in
{
  config.artifacts = args // {
    manifest = mkManifest args;
  } // (if (args.directory or null) == null then { } else { store = withValues; });
}
