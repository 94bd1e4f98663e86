# Names that become paths (modules/names.nix): each rule, the stored-name
# collision, and a set of valid names at the edges of the rule. Every case
# evaluates (strictly) without throwing, whatever the names.
{ lib, pkgs, machine, home, summary, failed, agenixNixos, sopsNixos, sopsHome, empty, params, ... }:
let
  generator = pkgs.writers.writeBash "gen" "true";
  withArtifacts = store: machine [ agenixNixos sopsNixos { artifacts.directory = empty; artifacts.store = store; } ];
  one = { files.secret = { }; inherit generator; };
in
{
  # Valid: wired as usual, the only failures are the missing files.
  namesValid = let config = machine [
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
      # File names as wide as the file rule allows: the original
      # nixos-artifacts' `artifact.one` with `fifth secret`, on agenix...
      artifacts.store."artifact.one" = {
        files."first.secret" = { };
        files."fifth secret".path = "/run/secrets/fifth secret";
        files."a@b" = { };
        files."ünï 日本" = { };
        files."sixth, public".secret = false;
        inherit generator;
      };
      # ...and names agenix's script cannot take at their default paths
      # on sops-nix.
      artifacts.store."names.sops" = {
        backend = "sops-nix";
        files."quo\"te $x" = { };
        files."`id` \\" = { };
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
  ]; in summary config // {
    # The files under /run/agenix (modules/backends/agenix.nix says why).
    agenixNames = lib.mapAttrs (_: s: s.name) config.age.secrets;
  };

  badArtifactNames = summary (withArtifacts (lib.genAttrs
    [ "../../x" "" ".hidden" "-rf" "a b" "new\nline" "ünï" (lib.concatStrings (lib.replicate 129 "x")) ]
    (_: one)));

  badFileNames = summary (withArtifacts {
    test = {
      files = {
        "../escape" = { };
        ".meta.json".secret = false;
        "" = { };
        "-x" = { };
        "x\ty" = { };
        ${builtins.fromJSON ''"next\u0085line"''} = { };
        ${lib.concatStrings (lib.replicate 129 "x")} = { };
      };
      inherit generator;
    };
  });

  # agenix's activation script puts a deployed path between double quotes:
  # one holding `"`, `$`, `` ` `` or `\` is refused (here the default path
  # of a file named so, and a declared one); a space is fine.
  agenixUnquotedPath = summary (withArtifacts {
    test = {
      files = {
        "quo\"te" = { };
        dollar.path = "/run/a$b";
        fine.path = "/run/fine file";
      };
      inherit generator;
    };
  });

  # sops-nix's Home Manager module expands `%r` and `%%` in every path: a
  # `%` of a file's name or path is written `%%` (the stored files are in
  # `params.directory`: a home deploys only those).
  homeSopsPercent = lib.mapAttrs (_: s: s.path) (home [
    sopsHome
    {
      artifacts.directory = /. + params.directory;
      sops.age.keyFile = "/home/alice/.config/sops/age/keys.txt";
      artifacts.store.percent = {
        backend = "sops-nix";
        files."100% sure" = { };
        files.at.path = "/home/alice/100%r";
        inherit generator;
      };
    }
  ]).sops.secrets;

  # A template may use the placeholder of any file: the characters that
  # delimit a placeholder are written %XX in it, and found back.
  placeholderOfAnyFileName =
    let
      config = machine [
        agenixNixos
        ({ config, ... }: {
          artifacts.directory = empty;
          artifacts.package = pkgs.artifacts;
          artifacts.store.test = { files."a:b <c> 100%" = { }; files.plain = { }; inherit generator; };
          artifacts.templates.t.content = "${config.artifacts.placeholder.test."a:b <c> 100%"} ${config.artifacts.placeholder.test.plain}";
        })
      ];
      spec = (import ../../modules/template-spec.nix { inherit lib pkgs; cfg = config.artifacts; }).spec "t" config.artifacts.templates.t;
    in
    {
      inherit (spec) content placeholders;
      failed = lib.filter (m: !(lib.hasInfix " is missing. Run: " m)) (failed config);
    };

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
