# The known backends, by the name used in `artifacts.*.backend`. Each file
# wires one backend into its stock module: `{ kind }: <module>`. To add a
# backend, add its file here; the option descriptions and the
# unknown-backend assertion list these names.
{
  agenix = ./agenix.nix;
  sops-nix = ./sops-nix.nix;
}
