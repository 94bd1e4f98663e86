# `artifacts.config`, extended by modules: the original nixos-artifacts'
# scenarios declare `options.artifacts.config.test.key = lib.mkOption { ... }`
# beside plain values for other backends. Both reach the manifest as
# plain JSON, on a machine and in a home (the real Home Manager).
{ lib, machine, home, failed, ... }:
let
  declares = { lib, ... }: {
    options.artifacts.config.test.key = lib.mkOption {
      type = lib.types.str;
      default = "test";
      description = "A setting of the test backend.";
    };
  };
  plain = { artifacts.config.other = { list = [ 1 "two" ]; nested.flag = true; }; };
in
{
  backendConfigDeclared =
    let config = machine [ declares plain { artifacts.config.test.key = "example-key"; } ]; in
    { inherit (config.artifacts.manifest) config; failed = failed config; };
  backendConfigDefault = (machine [ declares ]).artifacts.manifest.config;
  backendConfigWrongType = (machine [ declares { artifacts.config.test.key = 1; } ]).artifacts.manifest.config;
  backendConfigHome = (home [ declares plain { artifacts.config.test.key = "hers"; } ]).artifacts.manifest.config;
}
