# The manifest of the announcement's declarations built by `lib.mkManifest`
# straight from the plain attribute set (no module system), compared by
# rust/nix-tests with tests/golden/announcement.json. The module-evaluation
# tests compare the module system's manifest with the same file.
let
  lib = import ../.;
  pkgs = import ./stand-in-pkgs.nix;
  scope = import ./scope.nix;
  declared = import ./announcement.nix { inherit pkgs; config = { }; };
in
lib.mkManifest (declared.artifacts // scope)
