# How the launchd jobs of a nix-darwin machine wait for each other. launchd
# has no order between jobs (no `After=`, no `BindsTo=`), so every job that
# puts something in place writes a marker file when it is done, holding the
# id of what it put there, and every job that needs it waits until the
# marker holds the id it expects:
#
#   /run/artifacts-ready/deployer/<daemon>   the stock daemon that decrypts
#       (activate-agenix, sops-install-secrets); id: a hash of its command,
#       which names every encrypted file
#   /run/artifacts-ready/artifact/<a>        the artifact's daemon, once all
#       its files are in place; id: a hash of its stored files (dummy: of its
#       spec), which changes exactly with its value
#   /run/artifacts-ready/template/<n>        a template's daemon, once rendered
#
# The expected ids are written into the waiting jobs' definitions, so a new
# value changes them: nix-darwin reloads (stops and starts) every daemon
# whose definition changed, and the started daemon waits for the new marker.
# /run is emptied at boot, so then every job waits for what it needs again.
# Builtins and nixpkgs' lib only.
{ lib }:
let
  q = lib.escapeShellArg;
  root = "/run/artifacts-ready";
in
rec {
  # The marker of `what` ("deployer", "artifact", "template") `name`.
  path = what: name: "${root}/${what}/${name}";

  # The id written for a value: a hash, so it is short and safe in a shell.
  id = value: builtins.hashString "sha256" value;

  # Shell: writes `id` to the marker atomically (a reader sees the old id or
  # the new one). /bin tools only: it also runs where the stock daemons'
  # PATH is theirs.
  write = marker: markerId: "/bin/mkdir -p ${q (dirOf marker)} && printf '%s\\n' ${q markerId} > ${q "${marker}.new"} && /bin/mv -f ${q "${marker}.new"} ${q marker}";

  # Shell (POSIX sh, /bin tools only: a service's wrapper may run before
  # /nix/store is mounted): waits until every marker of `waits` holds its id
  # (`id = null`: exists at all). `waits` is a list of
  # `{ marker; id; what; }`, `what` saying in a message what is awaited.
  # After 30 seconds, and every 5 minutes then, it names what it still
  # waits for on stderr, introduced by `who`.
  wait = { waits, who }:
    let
      test = w:
        if w.id == null then "[ -e ${q w.marker} ]"
        else "[ \"$(/bin/cat ${q w.marker} 2>/dev/null)\" = ${q w.id} ]";
    in
    lib.optionalString (waits != [ ]) (''
      artifacts_waited=0
      while :; do
        artifacts_missing=
    ''
    + lib.concatMapStrings (w: "  ${test w} || artifacts_missing=\"$artifacts_missing; \"${q w.what}\n") waits
    + ''
        [ -z "$artifacts_missing" ] && break
        if [ $((artifacts_waited % 300)) -eq 30 ]; then
          echo ${q who}": still waiting for''${artifacts_missing#;}" >&2
        fi
        /bin/sleep 1
        artifacts_waited=$((artifacts_waited + 1))
      done
    '');
}
