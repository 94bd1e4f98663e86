# A stand-in for nixpkgs, for evaluating without nixpkgs: `import ./. { }`
# gives the stand-in `pkgs`, as `import <nixpkgs> { }` gives the real one.
# The tests assemble this folder (rust/nix-tests/src/lib.rs,
# `stand_in_nixpkgs`) from this file, flake.nix and copies of:
#   - ./lib: nixpkgs' real lib (nixpkgs-lib of ARTIFACTS_TEST_INPUTS);
#   - ./nixos/modules/misc/{assertions,meta}.nix and
#     ./modules/generic/meta-maintainers.nix (nixpkgs-files of the test
#     inputs): Home Manager imports them through `pkgs.path`;
#   - ./stand-in-pkgs.nix (lib/tests): fake packages;
#   - ./nixos-base.nix (checks/eval): the stand-in NixOS base of flake.nix;
#   - optionally ./overrides.nix (`{ lib, standIn }: attrs`, see
#     ../buildable-nixpkgs): buildable replacements for some fakes.
# With these, Home Manager's real module set evaluates: it reads `lib`,
# `path`, `stdenv.hostPlatform`, `formats`, `glibcLocales`, and re-imports
# `path` (its `nixpkgs.*` options), which is this file again. Asked for a
# Darwin system (`localSystem`, as nix-darwin asks), it gives ./darwin.nix.
{ localSystem ? null, system ? null, ... }:
let
  lib = import ./lib;
  # A format of `pkgs.formats`: Home Manager's modules use its type in their
  # option declarations; nothing here writes a file.
  format = _: {
    type = lib.types.anything;
    lib.types.atom = lib.types.anything;
    generate = name: _: (import ./stand-in-pkgs.nix).writeText name "";
  };
  standIn = import ./stand-in-pkgs.nix // {
    inherit lib;
    path = ./.;
    formats = lib.genAttrs [ "toml" "json" "yaml" "ini" ] (_: format);
    config = { };
    overlays = [ ];
    buildPackages = pkgs;
  };
  # callPackage for real package files (this project's package.nix):
  # called with the stand-in packages they ask for. Other calls keep the
  # stand-in's answer (sops-nix's packages).
  callPackage = f: args:
    let fn = if builtins.isFunction f then f else import f; in
    if builtins.functionArgs fn ? rustPlatform
    then fn (builtins.intersectAttrs (builtins.functionArgs fn) pkgs // args)
    else standIn.callPackage f args;
  pkgs = standIn // { inherit callPackage; } // (if builtins.pathExists ./overrides.nix
    then import ./overrides.nix { inherit lib standIn; }
    else { });
  requested = if builtins.isAttrs localSystem then localSystem.system
    else if localSystem != null then localSystem else system;
  final =
    if requested != null && lib.hasSuffix "-darwin" requested
    then import ./darwin.nix { inherit lib pkgs; system = requested; }
    else pkgs;
in
# What nix-darwin's nixpkgs module reads of an imported nixpkgs.
final // { __splicedPackages = final; }
