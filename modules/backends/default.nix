# The known backends, by the name used in `artifacts.*.backend`. Each file
# describes one backend (the fields are listed in wire.nix). To add a
# backend, add its file here; the option descriptions, the unknown-backend
# assertion and the stored-name checks read this list. A backend whose
# `extension` is null stores nothing in the flake (dummy).
{
  agenix = import ./agenix.nix;
  sops-nix = import ./sops-nix.nix;
  dummy = import ./dummy.nix;
}
