# Home Manager declarations in the announcement's style: one artifact with a
# default path on agenix, one with its own path on sops-nix.
{ pkgs, ... }:
{
  artifacts.store.test = {
    files.secret = { };
    prompts.test.description = "test input";
    generator = pkgs.writers.writeBash "test" ''
      cat $prompts/test > $out/secret
    '';
  };
  artifacts.store.attic = {
    files.env.mode = "0440";
    generator = pkgs.writers.writeBash "generate-attic" "echo TOKEN=x > $out/env";
    backend = "sops-nix";
  };
}
