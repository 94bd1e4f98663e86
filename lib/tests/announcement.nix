# The declarations of the project's announcement, verbatim (only the
# generator bodies' whitespace differs): they must evaluate unchanged.
# A module, so the module-evaluation tests can import it as is; the lib
# tests call it with a stand-in `config` and read its `artifacts`.
{ config, pkgs, ... }:
{
  artifacts.store.test = {
    files.secret = { };
    prompts.test.description = "test input";
    generator = pkgs.writers.writeBash "test" ''
      cat $prompts/test > $out/secret
    '';
  };

  artifacts.store.attic = {
    files.env = {
      owner = "atticd";
      group = "atticd";
      path = "/var/lib/attic/secrets/env";
    };
    generator = pkgs.writers.writeBash "generate-attic" ''
      cat >"$out/env" <<EOF
      ATTIC_SERVER_TOKEN_RS256_SECRET_BASE64=$(${pkgs.openssl}/bin/openssl genrsa -traditional 4096 | base64 -w0)
      EOF
    '';
  };

  services.atticd.environmentFile =
    config.artifacts.store.attic.files.env.path;

  artifacts.default.backend = "agenix";

  artifacts.store.attic.backend = "sops-nix";
}
