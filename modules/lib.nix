# Helpers shared by the backend wirings and the assertions: which files a
# backend deploys, where the CLI stored them, and what to tell the user when
# one is missing. Knowing the storage layout in one place keeps Nix and the
# CLI agreeing on it (see docs/manifest.md, "Storage layout").
{ lib }:
let
  names = import ./names.nix;
  folderOf = kind: if kind == "machine" then "machines" else "homes";
in
rec {
  # The folder of an artifact relative to `artifacts.directory`.
  artifactFolder = cfg: artifactName: artifact:
    if artifact.shared then "shared/${artifactName}"
    else "${folderOf cfg.kind}/${cfg.name}/${artifactName}";

  # Whether every name in an artifact's folder is valid (./names.nix): only
  # then is a stored path computed, so a name like `../../m` never points
  # outside `artifacts.directory`. Invalid names fail an assertion instead
  # (./name-assertions.nix).
  safeFolder = cfg: artifactName: artifact:
    names.valid artifactName && (artifact.shared || names.valid cfg.name);

  # The name a file is stored under by a backend with `extension`: secret
  # files get the extension, public parts (`secret = false`) are plain.
  storedName = extension: fileName: decl:
    if decl.secret then "${fileName}.${extension}" else fileName;

  backendOf = cfg: artifact: if artifact.backend == null then cfg.default.backend else artifact.backend;

  # The command that creates a missing artifact.
  generateCommand = cfg: artifactName:
    "nix run .#artifacts -- generate --${cfg.kind} ${cfg.name} --artifact ${artifactName}";

  # Every secret file of the artifacts using `backend`, as
  #   { name = "<artifact>/<file>"; artifact; file; decl; relative; stored; }
  # `stored` is `directory + relative`, keeping the directory's type: a path
  # literal gives a path (agenix copies just that file to the store), a
  # string with store context keeps that context so the file is part of the
  # system closure. Files with an invalid name are left out (see safeFolder).
  secretFiles = { cfg, backend, extension }:
    lib.concatLists (lib.mapAttrsToList
      (artifactName: artifact:
        lib.optionals (backendOf cfg artifact == backend && safeFolder cfg artifactName artifact)
          (lib.mapAttrsToList
            (fileName: decl:
              let relative = "${artifactFolder cfg artifactName artifact}/${storedName extension fileName decl}"; in {
                name = "${artifactName}/${fileName}";
                artifact = artifactName;
                file = fileName;
                inherit decl relative;
                stored =
                  if cfg.directory == null
                  then throw "artifacts: artifacts.directory is not set (see its description)"
                  else cfg.directory + "/${relative}";
              })
            (lib.filterAttrs (fileName: decl: decl.secret && names.valid fileName) artifact.files)))
      cfg.store);

  # Whether a file is in the store. While the directory is unset nothing is
  # (that has its own assertion in ./common.nix).
  isStored = cfg: f: cfg.directory != null && builtins.pathExists f.stored;

  # What to tell the user about a missing stored file: the scope, the
  # artifact, the file and the command to run.
  missingFileMessage = cfg: f:
    "artifacts: ${cfg.kind} '${cfg.name}', artifact '${f.artifact}': "
    + "the stored file artifacts/${f.relative} is missing. "
    + "Run: ${generateCommand cfg f.artifact}";

  # Asserts the stock module of a backend is imported when it is used.
  stockModuleAssertion = { cfg, backend, files, present, howToImport }: {
    assertion = files == [ ] || present;
    message = "artifacts: ${cfg.kind} '${cfg.name}' uses the ${backend} backend for "
      + lib.concatStringsSep ", " (lib.unique (map (f: "'${f.artifact}'") files))
      + ", but ${backend}'s module is not imported: ${howToImport}";
  };
}
