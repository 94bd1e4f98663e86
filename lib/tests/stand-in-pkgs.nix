# A stand-in for the few parts of nixpkgs that declarations and the stock
# modules (agenix, sops-nix, Home Manager) touch while being evaluated, for
# machines without nixpkgs. Every package is a fake derivation with a fixed,
# readable store path, so the manifests built from it are stable enough for
# golden files. Nothing here can be built.
#
# The builders (writers, runCommand, ...) are strict like real derivations:
# their path is known only once their text and inputs evaluate, so forcing a
# fake's path evaluates what it is made of, as instantiating a real one
# would (that is how a test sees Home Manager's activation script fail).
# nixpkgs' lib and what Home Manager needs from it come on top of this, in
# rust/nix-tests/nix/fake-nixpkgs/default.nix.
let
  fake = name: {
    type = "derivation";
    inherit name;
    pname = name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    drvPath = "/nix/store/00000000000000000000000000000000-${name}.drv";
    meta.mainProgram = name;
  };

  # What a real derivation coerces to a string when it is instantiated:
  # strings, paths, derivations (their path) and lists of them. Other values
  # are ignored (a real derivation would refuse most of them).
  asString = value:
    if builtins.isList value then builtins.concatStringsSep " " (map asString value)
    else if builtins.isAttrs value then (if value ? outPath then toString value.outPath else "")
    else if builtins.isFunction value then ""
    else toString value;
  # A fake derivation with the attributes `env`, kept readable as a real
  # derivation's are (e.g. a script's `text`): its paths are known only once
  # they evaluate.
  built = name: env:
    let inputs = map asString (builtins.attrValues env); in
    fake name // env // {
      outPath = builtins.deepSeq inputs (fake name).outPath;
      drvPath = builtins.deepSeq inputs (fake name).drvPath;
    };
  script = name: text: built name { inherit text; };

  platform = { isLinux = true; isDarwin = false; isx86 = true; isx86_64 = true; isAarch64 = false; system = "x86_64-linux"; };
in
{
  writers = {
    writeBash = script;
    writeBashBin = script;
  };
  writeShellScript = script;
  writeShellScriptBin = script;
  writeShellApplication = args: built args.name args;
  writeText = script;
  writeTextFile = args: built args.name args;
  runCommand = name: env: text: built name (env // { buildCommand = text; });
  replaceVars = src: vars: built (baseNameOf src) (vars // { inherit src; });
  # Lazy on purpose: Home Manager's `home-files` (runCommandLocal) reads
  # files of other packages (`builtins.path`), which fakes do not have, and
  # `home.path` (buildEnv) lists every package of the home.
  runCommandLocal = name: _: _: fake name;
  buildEnv = args: fake args.name;
  callPackage = _: _: { sops-install-secrets = fake "sops-install-secrets"; };
  rustPlatform.buildRustPackage = args: fake args.pname;
  # A NixOS VM test: its name only (`nix flake show` lists the checks).
  testers.runNixOSTest = args: fake "vm-test-run-${args.name}";
  stdenv = { hostPlatform = platform; buildPlatform = platform; } // platform;
  system = "x86_64-linux";
  glibcLocales = fake "glibc-locales" // { version = "2.40"; };
}
// builtins.listToAttrs (map (name: { inherit name; value = fake name; }) [
  "age" "mkpasswd" "openssl" "openssh" "coreutils" "mount" "gnupg" "getconf" "bash" "sops" "bubblewrap" "git" "nix"
  "makeWrapper" "installShellFiles" "jq"
  # The `artifacts` package, for the dummy backend's units.
  "artifacts"
  # What Home Manager's activation script puts on its PATH or links.
  "diffutils" "findutils" "gettext" "gnugrep" "gnused" "ncurses" "lndir" "systemd" "sd-switch"
  "emptyDirectory"
])
