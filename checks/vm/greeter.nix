# The service of the VM tests that reads the `greeting` artifact: it runs as
# the file's owner, so it can read it only if owner and mode were deployed.
{ config, ... }:
{
  users.users.greeter = { isSystemUser = true; group = "greeter"; };
  users.groups.greeter = { };
  systemd.services.greeter = {
    wantedBy = [ "multi-user.target" ];
    serviceConfig = { User = "greeter"; Type = "oneshot"; RemainAfterExit = true; };
    script = "cat ${config.artifacts.store.greeting.files.text.path}";
  };
}
