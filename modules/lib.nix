# Helpers shared by the backend wirings, the units and the assertions: which
# files a backend deploys, where the CLI stored them, and what to tell the
# user when one is missing. Knowing the storage layout in one place keeps Nix
# and the CLI agreeing on it (see docs/manifest.md, "Storage layout").
{ lib }:
let
  names = import ./names.nix;
  backends = import ./backends;
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

  # What a Nix store path name may hold (it must not start with `.`, which
  # no stored name does).
  storeNameCharacters = "A-Za-z0-9+._?=-";
  isStoreName = name: builtins.match "[${storeNameCharacters}]+" name != null;

  backendOf = cfg: artifact: if artifact.backend == null then cfg.default.backend else artifact.backend;

  # Whether the artifact's backend keeps files in the flake (agenix,
  # sops-nix) rather than making them on the machine (dummy) or being
  # unknown (reported by ./common.nix).
  isStoredBackend = cfg: artifact:
    let backend = backendOf cfg artifact; in
    backends ? ${backend} && backends.${backend}.extension != null;

  # The command that creates a missing artifact.
  generateCommand = cfg: artifactName:
    "nix run .#artifacts -- generate --${cfg.kind} ${cfg.name} --artifact ${artifactName}";

  # The stored file of one declared file, as
  #   { name = "<artifact>/<file>"; artifact; file; decl; artifactConfig; backend; relative; stored; }
  # `stored` is `directory + relative`, keeping the directory's type: a path
  # literal gives a path (agenix copies just that file to the store), a
  # string with store context keeps that context so the file is part of the
  # system closure.
  storedFile = cfg: artifactName: artifact: fileName: decl:
    let
      backend = backendOf cfg artifact;
      relative = "${artifactFolder cfg artifactName artifact}/${storedName backends.${backend}.extension fileName decl}";
      stored =
        if cfg.directory == null
        then throw "artifacts: artifacts.directory is not set (see its description)"
        else cfg.directory + "/${relative}";
      base = baseNameOf relative;
    in
    {
      name = "${artifactName}/${fileName}";
      artifact = artifactName;
      file = fileName;
      artifactConfig = artifact;
      inherit decl backend relative stored;
      # What the stock module (agenix, sops-nix) gets: the stored file
      # itself, or, when its name cannot be a Nix store path name (a space,
      # `@`, a quote, non-ASCII), a copy of it in the store under a name
      # that can. A path value would otherwise be copied under its own name
      # (an evaluation error), and a string inside the flake's source would
      # reach agenix's activation script with the file name in it. A
      # missing file stays as is: it is never deployed (on a machine its
      # assertion fails, a home leaves it out; ./missing-files.nix).
      source =
        if isStoreName base || !(builtins.pathExists stored) then stored
        else builtins.path { path = stored; name = names.replaceUnsafe storeNameCharacters base; };
    };

  # Every file the CLI stores for this scope (artifacts on agenix or
  # sops-nix) that reaches the machine, secret or public. Files with an
  # invalid name are left out (see safeFolder), and so are those with
  # `deploy = false`: nothing deployed refers to them, so they are not in
  # the system closure.
  storedFiles = cfg:
    lib.concatLists (lib.mapAttrsToList
      (artifactName: artifact:
        lib.optionals (isStoredBackend cfg artifact && safeFolder cfg artifactName artifact)
          (lib.mapAttrsToList (storedFile cfg artifactName artifact)
            (lib.filterAttrs (fileName: decl: names.validFile fileName && decl.deploy) artifact.files)))
      cfg.store);

  # The files of an artifact that reach the machine.
  deployedFiles = artifact: lib.filterAttrs (_: decl: decl.deploy) artifact.files;

  # The placeholder of a file in a template (`artifacts.placeholder`):
  # fixed text naming it, safe in the Nix store, replaced on the machine by
  # the deployed value. Artifact names hold no `<`, `>`, `/`, `:` or `%`
  # (./names.nix); in a file name, which may, those five are written `%XX`
  # (no name had them before, so no placeholder changed), so
  # `placeholderPattern` finds the names back and `placeholderName` decodes
  # a file's.
  placeholder = artifactName: fileName: "<ARTIFACTS:${artifactName}/${placeholderEncode fileName}:PLACEHOLDER>";
  placeholderPattern = "<ARTIFACTS:([^<>/:]*)/([^<>/:]*):PLACEHOLDER>";
  placeholderEncode = builtins.replaceStrings [ "%" "<" ">" "/" ":" ] [ "%25" "%3C" "%3E" "%2F" "%3A" ];
  placeholderName = builtins.replaceStrings [ "%3C" "%3E" "%2F" "%3A" "%25" ] [ "<" ">" "/" ":" "%" ];

  # The secret files of the artifacts using `backend`.
  secretFiles = { cfg, backend }:
    lib.filter (f: f.backend == backend && f.decl.secret) (storedFiles cfg);

  # The public parts (`secret = false`) of stored artifacts: plain files in
  # the flake, deployed from the Nix store by ./public-files.nix.
  publicFiles = cfg: lib.filter (f: !f.decl.secret) (storedFiles cfg);

  # The Nix store copy of a stored public file, on its own: its path
  # changes exactly when its content does.
  publicSource = f: builtins.path { path = f.stored; name = "artifacts-public-file"; };

  # A hash of the stored files of an artifact that changes exactly when
  # one of them does (regenerated, rekeyed or edited), or null when there
  # is none: the restart trigger of the services bound to it
  # (./services.nix).
  storedHash = cfg: files:
    let stored = lib.filter (isStored cfg) files; in
    if stored == [ ] then null
    else builtins.hashString "sha256"
      (lib.concatMapStrings (f: "${f.name} ${builtins.hashFile "sha256" f.stored}\n") stored);

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

  # A deployed path for a shell script. Home Manager paths may start with
  # the literal `${XDG_RUNTIME_DIR}` (see `artifacts.runtimeDir`), which the
  # shell must expand; everything else is quoted.
  shellPath = path:
    let
      variable = "\${XDG_RUNTIME_DIR}";
      n = builtins.stringLength variable;
    in
    if builtins.substring 0 n path == variable
    then "\"$XDG_RUNTIME_DIR\"" + lib.escapeShellArg (builtins.substring n (builtins.stringLength path) path)
    else lib.escapeShellArg path;
}
