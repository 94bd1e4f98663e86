# Shell snippets run on the target: installing a public part from the Nix
# store, and checking that an artifact's files are deployed (the script of
# the artifact's unit). rust/nix-tests runs both against a throwaway root.
{ lib }:
let
  helpers = import ./lib.nix { inherit lib; };
  q = lib.escapeShellArg;
in
{
  # Defines `artifacts_install_public SOURCE TARGET MODE [OWNER GROUP]`:
  # copies SOURCE beside TARGET, sets owner (when given) and mode, then
  # renames it over TARGET, so a reader sees the old file or the new one,
  # never a part. Parent folders are created as `mkdir -p` does.
  installFunction = ''
    artifacts_install_public() {
      local source=$1 target=$2 mode=$3 owner=''${4-} group=''${5-} dir tmp
      dir=$(dirname "$target")
      if mkdir -p "$dir" && tmp=$(mktemp "$dir/.artifacts-public.XXXXXXXX"); then
        if cat "$source" >"$tmp" \
          && { [ -z "$owner" ] || chown "$owner:$group" "$tmp"; } \
          && chmod "$mode" "$tmp" && mv -f "$tmp" "$target"; then
          return 0
        fi
        rm -f "$tmp"
      fi
      echo "artifacts: cannot install the public file $target" >&2
      return 1
    }
  '';

  # One call of it. `owner`/`group` are null in a home (the user's files).
  install = { source, path, mode, owner ? null, group ? null }:
    "artifacts_install_public ${q source} ${helpers.shellPath path} ${q mode}"
    + lib.optionalString (owner != null) " ${q owner} ${q group}" + "\n";

  # Exits 1 after naming every declared file that is not at its path.
  # `deployedBy decl` says what should have put a file there, `log` where
  # its messages are.
  check = { cfg, artifactName, files, deployedBy, log ? "the journal" }:
    ''
      missing=0
    ''
    + lib.concatStrings (lib.mapAttrsToList
      (fileName: decl: ''
        if [ ! -e ${helpers.shellPath decl.path} ]; then
          echo ${q "artifacts: ${cfg.kind} '${cfg.name}', artifact '${artifactName}': the file '${fileName}' is not deployed at ${decl.path} (${deployedBy decl}; see its messages in ${log})"} >&2
          missing=1
        fi
      '')
      files)
    + ''
      exit "$missing"
    '';
}
