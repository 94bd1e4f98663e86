# Names that become paths (modules/names.nix): each rule, the stored-name
# collision, and a set of valid names at the edges of the rule. Every case
# evaluates (strictly) without throwing, whatever the names.
{ lib, pkgs, machine, home, summary, agenixNixos, sopsNixos, empty, ... }:
let
  generator = pkgs.writers.writeBash "gen" "true";
  withArtifacts = store: machine [ agenixNixos sopsNixos { artifacts.directory = empty; artifacts.store = store; } ];
  one = { files.secret = { }; inherit generator; };
in
{
  # Valid: wired as usual, the only failures are the missing files.
  namesValid = summary (machine [
    agenixNixos
    sopsNixos
    {
      artifacts.name = "alpha_1.example@site+2";
      artifacts.directory = empty;
      artifacts.store."ssh-host_key.v2" = {
        files."id_ed25519" = { };
        files."id_ed25519.pub".secret = false;
        prompts."pass+word@x-1" = { };
        inherit generator;
      };
      # A secret `k` and a public `k.age` do not collide on sops-nix (k.sops).
      artifacts.store."0" = {
        backend = "sops-nix";
        files.k = { };
        files."k.age".secret = false;
        inherit generator;
      };
    }
  ]);

  badArtifactNames = summary (withArtifacts (lib.genAttrs
    [ "../../x" "" ".hidden" "-rf" "a b" "new\nline" "ünï" (lib.concatStrings (lib.replicate 129 "x")) ]
    (_: one)));

  badFileNames = summary (withArtifacts {
    test = { files = { "../escape" = { }; ".meta.json".secret = false; "" = { }; }; inherit generator; };
  });

  badPromptNames = summary (withArtifacts {
    test = one // { prompts = { "my prompt" = { }; "../p" = { }; }; };
  });

  # Nothing may be computed from a scope name that climbs out of the store.
  badScopeName = summary (machine [
    agenixNixos
    { artifacts.name = "../../m"; artifacts.directory = empty; artifacts.store.test = one; }
  ]);

  # A secret `k` (stored as k.age) and a public `k.age` on agenix.
  storedNameCollision = summary (withArtifacts {
    test = { files = { k = { }; "k.age".secret = false; }; inherit generator; };
  });

  # The same check in a standalone home: the real Home Manager refuses it.
  homeBadName = (home [ { artifacts.directory = empty; artifacts.store."../x" = one; } ]).artifacts.manifest;
}
