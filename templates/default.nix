# `nix flake init -t github:nixos-artifacts/nixos-artifacts#<name>`
{
  default = {
    path = ./default;
    description = "flake-parts, one NixOS machine, artifacts stored with agenix";
  };
  home-manager = {
    path = ./home-manager;
    description = "A standalone Home Manager configuration with artifacts stored with agenix";
  };
  nix-darwin = {
    path = ./nix-darwin;
    description = "flake-parts, one Mac with nix-darwin, artifacts stored with agenix";
  };
  sops-nix = {
    path = ./sops-nix;
    description = "One NixOS machine mixing agenix and sops-nix per artifact";
  };
}
