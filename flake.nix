{
  description = "nixos-artifacts: one interface for secrets and generated files in NixOS and Home Manager";

  # Only nixpkgs: users who import this flake lock nothing else. The VM
  # tests, which need agenix and sops-nix, live in the dev flake checks/.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # The CLI, with the tools it calls on its PATH: nix (evaluate, build),
      # age (reference tool for users), git (`git add` of stored files) and,
      # on Linux, bubblewrap (the generator sandbox).
      cli = pkgs: pkgs.rustPlatform.buildRustPackage {
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
        nativeBuildInputs = [ pkgs.makeWrapper ];
        postInstall = ''
          wrapProgram $out/bin/artifacts --prefix PATH : ${lib.makeBinPath (
            [ pkgs.nix pkgs.age pkgs.git ] ++ lib.optional pkgs.stdenv.hostPlatform.isLinux pkgs.bubblewrap
          )}
        '';
        meta = {
          description = "Generate, store and check NixOS secrets and generated files";
          mainProgram = "artifacts";
          license = lib.licenses.mit;
        };
      };
    in
    {
      lib = import ./lib;

      nixosModules.default = ./modules/nixos;
      homeModules.default = ./modules/home-manager;
      homeManagerModules.default = self.homeModules.default;
      flakeModules.default = import ./flake-module.nix { artifactsFlake = self; };

      packages = forAllSystems (pkgs: rec {
        artifacts = cli pkgs;
        default = artifacts;
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = "${self.packages.${pkgs.stdenv.hostPlatform.system}.default}/bin/artifacts";
        };
      });

      templates = import ./templates;

      checks = forAllSystems (pkgs: import ./checks { inherit pkgs self; });
    };
}
