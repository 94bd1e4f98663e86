# agenix on nix-darwin: agenix's `darwinModules.default` is the same
# modules/age.nix, so the `age.secrets` entries are those of ./agenix.nix.
# There it decrypts in its launchd daemon `activate-agenix` (at boot, and
# when nix-darwin reloads it because its definition changed), not during
# activation: ../darwin/daemons.nix waits for that daemon.
import ./agenix.nix // {
  howToImport = _kind: "add inputs.agenix.darwinModules.default to the machine's modules.";
  # The stock module's launchd daemon that puts the files in place.
  deployerDaemon = "activate-agenix";
}
