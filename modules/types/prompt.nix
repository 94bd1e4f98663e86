# The type of `artifacts.store.<artifact>.prompts.<prompt>`.
{ lib }:
let
  inherit (lib) mkOption types;
  defaults = (import ../../lib).defaults;
in
types.submodule {
  options = {
    description = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The question shown to whoever runs `artifacts generate`.";
    };
    type = mkOption {
      type = types.enum defaults.promptTypes;
      default = defaults.promptType;
      description = ''
        How the answer is read: `hidden` (not echoed, asked twice), `line`
        (one echoed line) or `multiline` (until end of input, Ctrl-D).
        The answer reaches the generator as the file `$prompts/<name>`.
      '';
    };
    allowEmpty = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Whether an empty answer typed on the terminal is accepted. By default
        a `hidden` prompt answered with just Enter is asked again. Answers
        given with `--prompt` or `--prompt-stdin` are taken as given.
      '';
    };
    testValue = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "hunter2";
      description = ''
        The answer the dummy backend gives on the machine, for tests. It is
        copied to the world-readable Nix store: never a real secret. Unset,
        the dummy backend answers `dummy-<artifact>-<prompt>` (no newline). The CLI never
        uses it.
      '';
    };
  };
}
