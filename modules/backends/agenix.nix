# agenix: every secret file becomes an entry of the stock agenix module's
# `age.secrets."<artifact>/<file>"`, decrypting the `.age` file the CLI wrote
# to `files.<f>.path`. What every backend file says is listed in wire.nix.
{
  extension = "age";
  option = "age";
  howToImport = kind:
    if kind == "machine"
    then "add inputs.agenix.nixosModules.default to the machine's modules."
    else "add inputs.agenix.homeManagerModules.default to the home's modules.";
  secretOf = kind: f: {
    file = f.stored;
    inherit (f.decl) path mode;
  } // (if kind == "machine" then {
    # agenix's Home Manager module has no owner/group: files belong to the user.
    inherit (f.decl) owner group;
  } else { });
  # agenix decrypts in an activation script, or in this unit when NixOS
  # uses systemd-sysusers; in Home Manager, in a user unit.
  deployerUnits = kind:
    if kind == "machine" then [ "agenix-install-secrets.service" ] else [ "agenix.service" ];
  # agenix restarts nothing (ryantm/agenix#84): ../services.nix does.
  restartsUnits = _kind: false;
}
