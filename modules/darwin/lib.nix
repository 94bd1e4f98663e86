# What the launchd daemons of ./daemons.nix, ./services.nix and
# ./templates.nix share: which artifacts and templates get a daemon, their
# names, the ids their markers hold (./markers.nix), and the end of every
# daemon that puts something in place.
{ lib, pkgs, config }:
let
  cfg = config.artifacts;
  helpers = import ../lib.nix { inherit lib; };
  names = import ../names.nix;
  markers = import ./markers.nix { inherit lib; };
  dummy = import ../dummy-unit.nix { inherit lib pkgs cfg; kind = "machine"; };
  templateSpec = import ../template-spec.nix { inherit lib pkgs cfg; };
  q = lib.escapeShellArg;
in
rec {
  backends = import ../backends/darwin.nix;

  # Artifacts with a valid name on a built-in backend get a daemon; the
  # others fail an assertion (../name-assertions.nix) or are a script
  # backend's business.
  withDaemon = lib.filterAttrs
    (artifactName: artifact: names.valid artifactName && backends ? ${helpers.backendOf cfg artifact})
    cfg.store;

  # `launchd.daemons.<name>` of an artifact (label `<labelPrefix>.<name>`).
  daemonName = artifactName: "artifact-${artifactName}";
  labelOf = daemon: config.launchd.daemons.${daemon}.serviceConfig.Label;

  # The id of the artifact's value: a hash of its stored files (secret and
  # public), or of the dummy backend's command and spec (the command names
  # the spec's file; the spec itself counts where store paths do not follow
  # content, as in the tests' stand-in nixpkgs).
  idOf = artifactName: artifact:
    if helpers.backendOf cfg artifact == "dummy"
    then markers.id (dummy.command artifactName artifact + builtins.toJSON (dummy.spec artifactName artifact))
    else
      let hash = helpers.storedHash cfg (lib.filter (f: f.artifact == artifactName) (helpers.storedFiles cfg)); in
      if hash == null then markers.id "nothing stored" else hash;

  # What waits for an artifact: its marker with the id of its value
  # (`anyValue`: any id, for what reloads rather than restarts).
  waitFor = { artifactName, anyValue ? false }: {
    marker = markers.path "artifact" artifactName;
    id = if anyValue then null else idOf artifactName cfg.store.${artifactName};
    what = "artifact ${artifactName} (launchd daemon ${daemonName artifactName}, /var/log/${daemonName artifactName}.log)";
  };

  # Templates with a valid name whose placeholders all can be rendered
  # (../template-assertions.nix reports the others).
  templates = lib.filterAttrs
    (name: t: names.valid name && lib.all (u: templateSpec.problemOf u == null) (templateSpec.used t.content))
    cfg.templates;
  templateDaemonName = name: "artifacts-template-${name}";
  # The artifacts a template reads that have a daemon.
  templateArtifacts = t: lib.unique (lib.filter (a: withDaemon ? ${a}) (map (u: u.artifact) (templateSpec.used t.content)));
  # What it renders: its spec and the values it reads.
  templateId = name: t: markers.id (builtins.toJSON (templateSpec.spec name t)
    + lib.concatMapStrings (a: "${a} ${idOf a cfg.store.${a}}\n") (templateArtifacts t));
  templateWait = { name, anyValue ? false }: {
    marker = markers.path "template" name;
    id = if anyValue then null else templateId name cfg.templates.${name};
    what = "template ${name} (launchd daemon ${templateDaemonName name}, /var/log/${templateDaemonName name}.log)";
  };

  # The end of a daemon that put something in place: it writes its marker
  # and, when it held another id before (a new value, not the first one
  # since boot), sends SIGHUP to the daemons of `reloadServices`.
  markAndReload = { marker, id, reloadServices, who }:
    ''
      previous=$(cat ${q marker} 2>/dev/null || true)
      ${markers.write marker id}
    ''
    + lib.optionalString (reloadServices != [ ]) (''
      if [ -n "$previous" ] && [ "$previous" != ${q id} ]; then
    '' + lib.concatMapStrings (s: ''
        /bin/launchctl kill SIGHUP ${q "system/${labelOf s}"} || echo ${q "${who}: could not reload the launchd daemon ${s}"} >&2
    '') reloadServices + ''
      fi
    '');

  # The PATH of our daemons: coreutils first, then the system's.
  path = "export PATH=${lib.makeBinPath [ pkgs.coreutils ]}:/usr/bin:/bin:/usr/sbin:/sbin\n";
}
