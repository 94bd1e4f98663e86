# A stand-in for the few parts of nixpkgs that declarations and the stock
# modules touch while being evaluated, for machines without nixpkgs. Every
# package is a fake derivation with a fixed, readable store path, so the
# manifests built from it are stable enough for golden files. Nothing here
# can be built.
let
  fake = name: {
    type = "derivation";
    inherit name;
    pname = name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    drvPath = "/nix/store/00000000000000000000000000000000-${name}.drv";
    meta.mainProgram = name;
  };
  fakeWith = name: _: fake name;
  platform = { isLinux = true; isDarwin = false; system = "x86_64-linux"; };
in
{
  writers = {
    writeBash = fakeWith;
    writeBashBin = fakeWith;
  };
  writeShellScript = fakeWith;
  writeShellScriptBin = fakeWith;
  writeShellApplication = { name, ... }: fake name;
  writeText = fakeWith;
  writeTextFile = { name, ... }: fake name;
  callPackage = _: _: { sops-install-secrets = fake "sops-install-secrets"; };
  runCommand = name: _: _: fake name;
  rustPlatform.buildRustPackage = args: fake args.pname;
  stdenv = { hostPlatform = platform; buildPlatform = platform; } // platform;
  system = "x86_64-linux";
}
// builtins.listToAttrs (map (name: { inherit name; value = fake name; }) [
  "age" "openssl" "coreutils" "mount" "gnupg" "getconf" "bash" "sops" "bubblewrap" "git" "nix"
  "makeWrapper" "jq"
])
