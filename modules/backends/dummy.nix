# dummy: nothing is stored in the flake. The artifact's unit runs the
# generator on the machine (`artifacts machine generate`) at boot and when
# its declaration changes; see ../dummy.nix. For testing: the values are
# throwaway and nothing persists across reboots.
{
  extension = null;
  option = null;
  # The artifact's own unit makes the files: nothing to wait for.
  deployerUnits = _kind: [ ];
  # Restarts of bound services are the project's business (../services.nix).
  restartsUnits = _kind: false;
}
