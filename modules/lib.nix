# Helpers shared by the backend wirings: which files a backend deploys, where
# the CLI stored them, and the assertion that tells the user what to run when
# one is missing. Knowing the storage layout in one place keeps Nix and the
# CLI agreeing on it (see docs/manifest.md, "Storage layout").
{ lib }:
let
  folderOf = kind: if kind == "machine" then "machines" else "homes";
in
rec {
  # The folder of an artifact relative to `artifacts.directory`.
  artifactFolder = cfg: artifactName: artifact:
    if artifact.shared then "shared/${artifactName}"
    else "${folderOf cfg.kind}/${cfg.name}/${artifactName}";

  backendOf = cfg: artifact: if artifact.backend == null then cfg.default.backend else artifact.backend;

  # The command that creates a missing artifact.
  generateCommand = cfg: artifactName:
    "nix run .#artifacts -- generate --${cfg.kind} ${cfg.name} --artifact ${artifactName}";

  # Every secret file of the artifacts using `backend`, as
  #   { name = "<artifact>/<file>"; artifact; file; decl; relative; stored; }
  # `stored` is `directory + relative`, keeping the directory's type: a path
  # literal gives a path (agenix copies just that file to the store), a
  # string with store context keeps that context so the file is part of the
  # system closure.
  secretFiles = { cfg, backend, extension }:
    lib.concatLists (lib.mapAttrsToList
      (artifactName: artifact:
        lib.optionals (backendOf cfg artifact == backend)
          (lib.mapAttrsToList
            (fileName: decl:
              let relative = "${artifactFolder cfg artifactName artifact}/${fileName}.${extension}"; in {
                name = "${artifactName}/${fileName}";
                artifact = artifactName;
                file = fileName;
                inherit decl relative;
                stored =
                  if cfg.directory == null
                  then throw "artifacts: artifacts.directory is not set (see its description)"
                  else cfg.directory + "/${relative}";
              })
            (lib.filterAttrs (_: decl: decl.secret) artifact.files)))
      cfg.store);

  # One assertion per missing stored file, naming the scope, the artifact and
  # the command to run. Skipped while the directory is unset (that has its
  # own assertion in modules/common.nix).
  missingFileAssertions = cfg: files:
    map
      (f: {
        assertion = cfg.directory == null || builtins.pathExists f.stored;
        message = "artifacts: ${cfg.kind} '${cfg.name}', artifact '${f.artifact}': "
          + "the stored file artifacts/${f.relative} is missing. "
          + "Run: ${generateCommand cfg f.artifact}";
      })
      files;

  # Asserts the stock module of a backend is imported when it is used.
  stockModuleAssertion = { cfg, backend, files, present, howToImport }: {
    assertion = files == [ ] || present;
    message = "artifacts: ${cfg.kind} '${cfg.name}' uses the ${backend} backend for "
      + lib.concatStringsSep ", " (lib.unique (map (f: "'${f.artifact}'") files))
      + ", but ${backend}'s module is not imported: ${howToImport}";
  };
}
