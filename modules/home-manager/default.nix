# The Home Manager module: `artifacts.*` for a home (standalone
# `homeConfigurations.<name>` or `home-manager.users.<user>` in a machine).
import ../common.nix {
  kind = "home";
  nameDefault = {
    default = config: config.home.username;
    defaultText = "config.home.username (\"<user>@<machine>\" when Home Manager is a NixOS module)";
    description = ''
      Defaults to the user name; when Home Manager is used as a NixOS module,
      the NixOS module sets "<user>@<machine>" so homes of different
      machines do not collide.
    '';
  };
  # agenix's Home Manager module puts secrets under the shell's
  # `${XDG_RUNTIME_DIR}`, sops-nix's under `%r`: both are the user's runtime
  # directory, resolved only when the secrets are installed. A path a service
  # reads is better absolute, so when the uid is known (Home Manager as a
  # NixOS module with `users.users.<u>.uid` set, or `home.uid` set) we use
  # `/run/user/<uid>`, where systemd-logind puts the runtime directory.
  runtimeDirDefault = {
    default = config:
      let uid = config.home.uid or null;
      in if uid != null then "/run/user/${toString uid}" else "\${XDG_RUNTIME_DIR}";
    defaultText = "\"/run/user/<uid>\" when home.uid is set, else the literal \"\${XDG_RUNTIME_DIR}\"";
    description = ''
      In Home Manager, `/run/user/<uid>` when {option}`home.uid` is known,
      otherwise the literal string `''${XDG_RUNTIME_DIR}`, which agenix's
      module expands in the shell when it installs secrets and which the
      sops-nix wiring translates to sops-nix's `%r`. A path containing
      `''${XDG_RUNTIME_DIR}` works where a shell or systemd expands it
      (scripts, `ExecStart=`); set `home.uid` (or this option) to get an
      absolute path for configuration files. On Darwin, set this option:
      there is no XDG runtime directory.
    '';
  };
}
