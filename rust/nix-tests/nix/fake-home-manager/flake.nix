# A stand-in for the home-manager flake: `lib.homeManagerConfiguration`
# evaluating the modules over the stand-in Home Manager base (home-base.nix,
# copied next to this file by the test).
{
  outputs = { self }: {
    lib.homeManagerConfiguration = { pkgs, modules, extraSpecialArgs ? { } }: pkgs.lib.evalModules {
      specialArgs = extraSpecialArgs;
      modules = [ ./home-base.nix { _module.args.pkgs = pkgs; } ] ++ modules;
    };
  };
}
