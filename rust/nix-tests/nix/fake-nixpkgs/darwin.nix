# The stand-in packages as nix-darwin sees them on a Mac (`import ./. {
# localSystem = "aarch64-darwin"; }`, which nix-darwin's nixpkgs module
# does): a Darwin host platform, every package with the `out` output
# nix-darwin's modules read (`nix.package.out`), what its launchd module
# writes scripts with (`writeScript`, `stdenv.shell`), and sops-nix's
# `manifest-for.nix` (it asks for `writeTextFile`) called for real, so its
# daemon's command can be read. With these, nix-darwin's real module set
# evaluates its configuration, assertions and launchd daemons; nothing
# here can be built.
{ lib, pkgs, system }:
let
  platform = {
    inherit system;
    isLinux = false;
    isDarwin = true;
    isx86 = lib.hasPrefix "x86_64" system;
    isx86_64 = lib.hasPrefix "x86_64" system;
    isAarch64 = lib.hasPrefix "aarch64" system;
    darwinArch = if lib.hasPrefix "aarch64" system then "arm64" else "x86_64";
  };
  withOut = value:
    if builtins.isAttrs value && (value.type or null) == "derivation"
    then let d = value // { out = d; }; in d
    else value;
  callPackage = f: args:
    let fn = if builtins.isFunction f then f else import f; in
    if builtins.functionArgs fn ? writeTextFile
    then fn (builtins.intersectAttrs (builtins.functionArgs fn) final // args)
    else pkgs.callPackage f args;
  final = lib.mapAttrs (_: withOut) pkgs // {
    inherit system callPackage;
    writeScript = pkgs.writeShellScript;
    stdenv = pkgs.stdenv // platform // {
      hostPlatform = platform;
      buildPlatform = platform;
      targetPlatform = platform;
      shell = "${pkgs.bash}/bin/bash";
    };
  };
in
final
