# The manifest: a JSON-safe, schema-versioned view of one scope's (a machine's
# or a home's) artifact declarations. It is the only thing the CLI reads from
# Nix. The input is either a module's `config.artifacts` (defaults already
# filled in) or a plain attribute set (defaults filled in here), so both paths
# produce the same manifest. The schema is documented in docs/manifest.md.
{ defaults }:
let
  # 2: files carry `deploy` (and `path` is null when false), artifacts
  # `neededFor` and `runtimeInputs`.
  schemaVersion = 2;

  mapNamed = f: attrs: builtins.mapAttrs (name: value: f name (if value == null then { } else value)) attrs;

  # A generator is a derivation (built by the CLI in one batched call), a
  # path (copied to the store) or a string naming an executable.
  generatorOf = g:
    if g == null then null
    else if builtins.isAttrs g && g ? drvPath then { drvPath = g.drvPath; path = "${g}"; }
    else
      # A string such as "${pkg}/bin/gen" or `lib.getExe pkg` carries its
      # derivation in its context: build that one.
      let
        path = "${g}";
        context = builtins.getContext path;
        built = builtins.filter (p: context.${p} ? outputs) (builtins.attrNames context);
      in
      { drvPath = if built == [ ] then null else builtins.head built; inherit path; };

  fileOf = { runtimeDir, artifact }: name: f:
    let deploy = f.deploy or true; in
    {
      inherit name deploy;
      # A file that is never deployed has no path (reading the module's
      # `path` of one throws).
      path = if !deploy then null else f.path or (defaults.filePath { inherit runtimeDir artifact; file = name; });
      owner = f.owner or defaults.file.owner;
      group = f.group or defaults.file.group;
      mode = f.mode or defaults.file.mode;
      secret = f.secret or defaults.file.secret;
    };

  promptOf = name: p: {
    inherit name;
    description = p.description or null;
    type = p.type or defaults.promptType;
    allowEmpty = p.allowEmpty or false;
  };

  artifactOf = { runtimeDir, defaultBackend }: name: a: {
    inherit name;
    description = a.description or null;
    backend = if (a.backend or null) == null then defaultBackend else a.backend;
    shared = a.shared or false;
    files = mapNamed (fileOf { inherit runtimeDir; artifact = name; }) (a.files or { });
    prompts = mapNamed promptOf (a.prompts or { });
    generator = generatorOf (a.generator or null);
    # Artifacts of the same scope, or shared ones, whose files the
    # generator reads as $in/<dependency>/<file>.
    dependencies = a.dependencies or [ ];
    # Any JSON value, as declared; the CLI keeps its hash with the stored
    # artifact, so a change makes it stale.
    validation = a.validation or null;
    # "services" | "users": when the files must be in place on the target
    # (what script backends' modules must honour).
    neededFor = a.neededFor or "services";
    # Packages whose bin/ come first on the generator's PATH, built in the
    # generators' batch.
    runtimeInputs = map generatorOf (a.runtimeInputs or [ ]);
    # "90d" or null: the longest the values may live before `check` calls
    # them due and `generate` makes them again.
    rotateAfter = a.rotateAfter or null;
  };

  backendOf = b: {
    check = generatorOf b.check;
    serialize = generatorOf b.serialize;
    deserialize = generatorOf (b.deserialize or null);
    timeout = b.timeout or null;
  };

  mkManifest =
    { kind ? "machine"
    , name
    , publicKey ? null
    , adminRecipients ? [ ]
    , directory ? null
    , runtimeDir ? "/run"
    , default ? { }
    , store ? { }
    , backends ? { }
    , config ? { }
    , ...
    }:
    let
      defaultBackend = default.backend or defaults.backend;
    in
    assert builtins.elem kind [ "machine" "home" ];
    {
      inherit schemaVersion kind name publicKey adminRecipients defaultBackend;
      # Absolute (usually a store path inside the flake's source); the CLI
      # turns it into a path relative to the flake root. null: the default.
      directory = if directory == null then null else toString directory;
      artifacts = mapNamed (artifactOf { inherit runtimeDir defaultBackend; }) store;
      # Script backends declared in Nix (BACKEND_GUIDE.md); their programs
      # are built by the CLI with the generators.
      backends = builtins.mapAttrs (_: backendOf) backends;
      # artifacts.config.<backend>: handed to script backends as is.
      inherit config;
    };
in
{
  inherit schemaVersion mkManifest;
}
