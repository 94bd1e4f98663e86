# A NixOS module that deploys what a script backend stored, here the
# `folder` backend of this example (BACKEND_GUIDE.md, "Deploying"). The CLI
# never does this: `serialize` runs on the administrator's computer, and
# getting the values onto the machine is the backend's own business.
#
# One oneshot unit, `artifacts-folder.service`, fetches every file of every
# artifact on the `folder` backend and installs it at its `files.<f>.path`
# with its owner, group and mode, replacing it in one rename. How a file is
# fetched is `artifacts.folder.fetch`: a command given the entry
# `<scope>/<artifact>/<file>` (as `serialize` laid it out) that prints the
# content. The default reads a copy of the folder kept on the machine; a real
# backend would ask its vault with the machine's own credential here.
#
# Services that read the files order themselves after the unit:
#   systemd.services.api = { after = [ "artifacts-folder.service" ]; requires = [ "artifacts-folder.service" ]; };
{ config, lib, pkgs, ... }:
let
  cfg = config.artifacts;
  q = lib.escapeShellArg;

  backendOf = artifact: if artifact.backend == null then cfg.default.backend else artifact.backend;
  deployed = lib.filterAttrs (_: artifact: backendOf artifact == "folder") cfg.store;

  # Where serialize stored it: `$machine` is the configuration's attribute
  # name (nixosConfigurations.<name>), which a module cannot see, hence
  # the option below.
  entry = artifactName: artifact: fileName:
    if artifact.shared then "shared/${artifactName}/${fileName}"
    else "machines/${cfg.folder.machine}/${artifactName}/${fileName}";

  installs = lib.concatStrings (lib.flatten (lib.mapAttrsToList
    (artifactName: artifact: lib.mapAttrsToList
      (fileName: file: "install_file ${lib.concatMapStringsSep " " q [
        (entry artifactName artifact fileName) file.path file.owner file.group file.mode
      ]}\n")
      artifact.files)
    deployed));
in
{
  options.artifacts.folder = {
    machine = lib.mkOption {
      type = lib.types.str;
      default = config.networking.hostName;
      defaultText = lib.literalExpression "config.networking.hostName";
      description = "This machine's name in the folder: its attribute name under `nixosConfigurations`.";
    };
    fetch = lib.mkOption {
      type = lib.types.str;
      default = ''cat "/var/lib/artifacts-folder/$1"'';
      description = "Shell command printing the content of the entry `$1` (`<scope>/<artifact>/<file>`).";
    };
  };

  config = lib.mkIf (deployed != { }) {
    systemd.services.artifacts-folder = {
      description = "Install the artifacts stored by the folder backend";
      wantedBy = [ "multi-user.target" ];
      serviceConfig = { Type = "oneshot"; RemainAfterExit = true; };
      path = [ pkgs.coreutils ];
      script = ''
        set -eu
        fetch() { ${cfg.folder.fetch}
        }
        # install_file ENTRY PATH OWNER GROUP MODE: a private temporary file
        # beside PATH, owner and mode set before the content is visible
        # under PATH, then renamed over it.
        install_file() {
          mkdir -p "$(dirname "$2")"
          tmp=$(mktemp "$2.XXXXXXXX")
          if fetch "$1" >"$tmp" && chown "$3:$4" "$tmp" && chmod "$5" "$tmp"; then
            mv -f "$tmp" "$2"
          else
            rm -f "$tmp"
            echo "artifacts-folder: cannot install $1 at $2" >&2
            exit 1
          fi
        }
      '' + installs;
    };
  };
}
