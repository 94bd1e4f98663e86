# The NixOS VM tests, one behaviour each. Each file is the argument of
# `pkgs.testers.runNixOSTest` (name, nodes, testScript), a function of our
# flake (`artifacts`, for `nixosModules.default`) and the stock modules'
# sources, so the module-evaluation tier can evaluate the same nodes
# without nixpkgs (checks/eval/vm-nodes.nix), and every behaviour asserted
# here is also asserted in CI without a VM (rust/nix-tests).
{ pkgs, self, sources }:
let
  test = file: pkgs.testers.runNixOSTest (import file { artifacts = self; inherit sources; });
in
{
  vm-agenix = test ./agenix.nix;
  vm-sops-nix = test ./sops-nix.nix;
  vm-mixed = test ./mixed.nix;
  vm-dummy = test ./dummy.nix;
  vm-home-manager = test ./home-manager.nix;
  vm-units = test ./units.nix;
  vm-password = test ./password.nix;
  vm-template = test ./template.nix;
}
