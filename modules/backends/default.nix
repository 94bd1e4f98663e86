# The known backends, by the name used in `artifacts.*.backend`. Each file
# describes one backend (its stored file extension and how its secrets become
# the stock module's options; the fields are listed in wire.nix). To add a
# backend, add its file here; the option descriptions, the unknown-backend
# assertion and the stored-name checks read this list.
{
  agenix = import ./agenix.nix;
  sops-nix = import ./sops-nix.nix;
}
