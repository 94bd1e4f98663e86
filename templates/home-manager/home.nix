{ config, pkgs, ... }:
{
  home.username = "alice";
  home.homeDirectory = "/home/alice";
  home.stateVersion = "25.05";

  # The key that decrypts for this home: your SSH key (agenix's Home Manager
  # module decrypts with ~/.ssh/id_ed25519).
  artifacts.publicKey = "ssh-ed25519 AAAA... alice@laptop";

  # A token typed in when you run `nix run .#artifacts -- generate`.
  artifacts.store.api-token = {
    files.token = { };
    prompts.token = {
      description = "API token";
      type = "line";
    };
    generator = pkgs.writers.writeBash "api-token" ''
      cat $prompts/token > $out/token
    '';
  };

  # The file is deployed under your runtime directory; this path contains
  # ''${XDG_RUNTIME_DIR} unless `home.uid` is set, so use it where a shell
  # expands it.
  home.sessionVariables.API_TOKEN_FILE = config.artifacts.store.api-token.files.token.path;
}
