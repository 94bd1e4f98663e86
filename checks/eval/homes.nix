# Home Manager cases, through the real Home Manager: standalone homes
# (`homeManagerConfiguration`) and Home Manager as a NixOS module (its
# `nixos/` module on machine alpha). The first run, nothing generated yet,
# must leave the manifest readable (the CLI reads it to generate) and fail
# only when the home is built; see modules/missing-files.nix.
{ machineWithAlice, homeConfiguration, home, summary, failed, relative
, agenixNixos, agenixHome, sopsHome, agenixOnly, fixtures, empty, ...
}:
let
  # agenix and sops-nix, as in the announcement (home-declarations.nix).
  declarations = directory: [
    agenixHome
    sopsHome
    ./home-declarations.nix
    { artifacts.directory = directory; sops.age.keyFile = "/home/alice/.config/sops/age/keys.txt"; }
  ];
  aliceOnAlpha = directory: machineWithAlice [ agenixNixos { artifacts.directory = directory; } ] [ agenixHome agenixOnly ];
  # What the CLI reads of a home, and whether the home is deployed.
  firstRun = config: summary config // { inherit (config.artifacts) manifest; };
in
{
  # Standalone, files stored: the runtime directory is the shell's.
  home = let config = home (declarations fixtures); in
    summary config // { inherit (config.artifacts.manifest) kind name; };

  # With a known uid: absolute paths.
  homeWithUid = summary (home (declarations fixtures ++ [{ home.uid = 1000; }]));

  # Standalone, nothing stored yet: readable, nothing deployed, no failure...
  homeFirstRun = firstRun (home (declarations empty));
  # ...until the home is built: evaluating the activation package (what
  # instantiating it does) throws the list of missing files.
  homeFirstRunActivation = (homeConfiguration (declarations empty)).activationPackage.outPath;
  # With the files stored, the same evaluation goes through.
  homeActivation = (homeConfiguration (declarations fixtures)).activationPackage.outPath;

  # As a NixOS module: the NixOS module's shared modules name the home
  # "<user>@<machine>" and hand down the artifacts directory.
  homeInNixos =
    let
      os = aliceOnAlpha fixtures;
      config = os.home-manager.users.alice;
    in
    summary config // {
      inherit (config.artifacts) name;
      directory = relative config.artifacts.directory;
      machineFailed = failed os;
    };

  # As a NixOS module, nothing stored yet: the same as standalone.
  homeInNixosFirstRun = let os = aliceOnAlpha empty; in
    firstRun os.home-manager.users.alice // { machineFailed = failed os; };
  homeInNixosFirstRunActivation = (aliceOnAlpha empty).home-manager.users.alice.home.activationPackage.outPath;
}
