# The `artifacts` CLI (also the command the dummy backend's units run on the
# target), with the tools it calls on its PATH: nix (evaluate, build), age
# (reference tool for users), git (`git add` of stored files) and, on Linux,
# bubblewrap (the generator sandbox). `pkgs.callPackage ./package.nix { }`.
{ lib, stdenv, rustPlatform, makeWrapper, installShellFiles, nix, age, git, bubblewrap }:
rustPlatform.buildRustPackage {
  pname = "artifacts";
  version = (builtins.fromTOML (builtins.readFile ./Cargo.toml)).workspace.package.version;
  src = lib.fileset.toSource {
    root = ./.;
    fileset = lib.fileset.unions [ ./Cargo.toml ./Cargo.lock ./rust ./lib ];
  };
  cargoLock.lockFile = ./Cargo.lock;
  cargoBuildFlags = [ "--package" "artifacts" ];
  # The tests need nix, a store and fixture flakes: `cargo nextest run` in CI.
  doCheck = false;
  nativeBuildInputs = [ makeWrapper installShellFiles ];
  postInstall = ''
    wrapProgram $out/bin/artifacts --prefix PATH : ${lib.makeBinPath (
      [ nix age git ] ++ lib.optional stdenv.hostPlatform.isLinux bubblewrap
    )}
  ''
  # Completion scripts call $out/bin/artifacts (the wrapper) for names.
  + lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
    installShellCompletion --cmd artifacts \
      --bash <($out/bin/artifacts completions bash) \
      --zsh <($out/bin/artifacts completions zsh) \
      --fish <($out/bin/artifacts completions fish)
  '';
  meta = {
    description = "Generate, store and check NixOS secrets and generated files";
    mainProgram = "artifacts";
    license = lib.licenses.mit;
  };
}
