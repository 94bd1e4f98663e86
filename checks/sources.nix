# The module sources the checks test against, pinned by revision (the
# commits of the module-evaluation tier's ARTIFACTS_TEST_INPUTS) and fetched
# only when a check is evaluated. They are not flake inputs, so a flake that
# uses this one never locks them. GitHub tarballs by revision are what Nix
# calls locked, so this works in pure evaluation (`nix flake check`).
let
  github = owner: repo: rev: builtins.fetchTree { type = "github"; inherit owner repo rev; };
in
{
  agenix = github "ryantm" "agenix" "b027ee29d959fda4b60b57566d64c98a202e0feb";
  sops-nix = github "Mic92" "sops-nix" "56b24064fdcaedca53553b1a6d607fd23b613a24";
  home-manager = github "nix-community" "home-manager" "ec1a8fdf74ed3f276148ee106299a2ba0e65d51f";
  flake-parts = github "hercules-ci" "flake-parts" "427bf4bd9435fdf21321c8cc628c24efc14c0f7a";
}
