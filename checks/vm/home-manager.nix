# One behaviour: Home Manager as a NixOS module: alice's stored file (agenix
# for Home Manager) and a dummy-backend file reach her runtime directory,
# each checked by its user unit, and her user service bound to both starts.
# CI without a VM: rust/nix-tests/tests/units.rs (home_manager_user_units),
# modules.rs (homes).
{ artifacts, sources }:
{
  name = "artifacts-home-manager";
  nodes.alpha = { pkgs, ... }: {
    imports = [ artifacts.nixosModules.default "${sources.home-manager}/nixos" ];
    artifacts.directory = ./artifacts;
    users.users.alice = { isNormalUser = true; uid = 1000; linger = true; };
    home-manager.users.alice = {
      imports = [ "${sources.agenix}/modules/age-home.nix" ];
      home.stateVersion = "25.05";
      age.identityPaths = [ "${../keys/ssh_host_ed25519_key}" ];
      artifacts.store.note = { files.text = { }; services = [ "reader" ]; };
      artifacts.store.made = {
        backend = "dummy";
        files.text = { };
        generator = pkgs.writers.writeBash "made" ''echo "made on the machine" > "$out/text"'';
        services = [ "reader" ];
      };
      systemd.user.services.reader = {
        Service = {
          Type = "oneshot";
          RemainAfterExit = true;
          ExecStart = "${pkgs.coreutils}/bin/cat /run/user/1000/artifacts/note/text /run/user/1000/artifacts/made/text";
        };
        Install.WantedBy = [ "default.target" ];
      };
    };
  };
  testScript = ''
    alpha.wait_for_unit("home-manager-alice.service")
    alpha.wait_for_unit("reader.service", "alice")
    for unit in ["artifact-note.service", "artifact-made.service"]:
        alpha.wait_for_unit(unit, "alice")
    alpha.succeed("grep -qx 'note for alice' /run/user/1000/artifacts/note/text")
    alpha.succeed("grep -qx 'made on the machine' /run/user/1000/artifacts/made/text")
    stat = alpha.succeed("stat -L -c '%U %a' /run/user/1000/artifacts/note/text").strip()
    assert stat == "alice 400", stat
  '';
}
