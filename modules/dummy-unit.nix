# The dummy backend on the target: the artifact's unit runs
# `artifacts machine generate --spec <spec>` (rust/artifacts/src/machine),
# which runs the generator in a private folder with `$out` and `$prompts`,
# checks it wrote exactly the declared files and installs them atomically at
# their paths with owner, group and mode. systemd sandboxes it (no network,
# no home, private /tmp, read-only system folders, few capabilities).
#
# The unit starts at boot (nothing persists: /run is a tmpfs) and restarts
# when its definition changes (a new spec: the declaration changed), which
# systemd propagates to the services bound to it (`BindsTo=`), so they read
# the new value. Unchanged, a switch restarts nothing.
{ lib, pkgs, cfg, kind }:
let
  defaults = (import ../lib).defaults;
  units = import ./unit-names.nix;
  isMachine = kind == "machine";
  paths = artifact: map (decl: decl.path) (lib.attrValues (lib.filterAttrs (_: decl: decl.deploy) artifact.files));
  under = prefixes: path: lib.any (p: path == p || lib.hasPrefix "${p}/" path) prefixes;
  anyUnder = prefixes: artifact: lib.any (under prefixes) (paths artifact);
  inRuntimeDir = path: lib.hasPrefix "\${XDG_RUNTIME_DIR}/" path || lib.hasPrefix "/run/user/" path;
in
rec {
  # The spec (version 1): everything the target command needs, nothing
  # secret. Prompt answers are the declared test values or placeholders.
  # Documented in docs/manifest.md ("The dummy backend's spec").
  spec = artifactName: artifact: {
    version = 1;
    inherit (cfg) kind;
    scope = cfg.name;
    # $machine, as the CLI sets it: "shared" for shared artifacts.
    machine = if artifact.shared then "shared" else cfg.name;
    artifact = artifactName;
    generator = if artifact.generator == null then null else "${artifact.generator}";
    files = lib.mapAttrs
      (_: decl: {
        inherit (decl) path mode;
        owner = decl.owner or null;
        group = decl.group or null;
      })
      artifact.files;
    prompts = lib.mapAttrs
      (prompt: decl: if decl.testValue != null then decl.testValue
        else defaults.dummyAnswer { artifact = artifactName; inherit prompt; })
      artifact.prompts;
    # $in/<dependency>/<file>: read where the dependency's unit deployed it.
    dependencies = lib.genAttrs (lib.filter (d: cfg.store ? ${d}) artifact.dependencies)
      (dependency: lib.mapAttrs (_: decl: decl.path) cfg.store.${dependency}.files);
    # The declared tools' bin/ folders, first on the generator's PATH
    # (NixOS units, Home Manager units and the users stage alike).
    path = map (p: "${p}/bin") artifact.runtimeInputs;
  };

  specFile = artifactName: artifact:
    pkgs.writeText "artifacts-dummy-spec.json" (builtins.toJSON (spec artifactName artifact));

  command = artifactName: artifact:
    "${if cfg.package == null then "artifacts" else "${cfg.package}/bin/artifacts"} machine generate --spec ${specFile artifactName artifact}";

  # systemd's sandbox for a system unit. It keeps what installing the
  # files needs: writing to their folders, chown, chmod. A file under
  # /home, /root or /run/user turns ProtectHome off; one under /etc makes
  # ProtectSystem "true" (/usr, /boot read-only) instead of "full"; one
  # under /usr, /boot or /efi turns it off.
  systemSandbox = artifact: {
    PrivateNetwork = true;
    PrivateTmp = true;
    PrivateDevices = true;
    ProtectHome = !(anyUnder [ "/home" "/root" "/run/user" ] artifact);
    ProtectSystem =
      if anyUnder [ "/usr" "/boot" "/efi" ] artifact then false
      else if anyUnder [ "/etc" ] artifact then true
      else "full";
    ProtectKernelTunables = true;
    ProtectKernelModules = true;
    ProtectKernelLogs = true;
    ProtectControlGroups = true;
    ProtectClock = true;
    ProtectHostname = true;
    NoNewPrivileges = true;
    RestrictNamespaces = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    LockPersonality = true;
    RestrictAddressFamilies = [ "AF_UNIX" ];
    SystemCallArchitectures = "native";
    SystemCallFilter = [ "@system-service" ];
    CapabilityBoundingSet = [ "CAP_CHOWN" "CAP_FOWNER" "CAP_DAC_OVERRIDE" ];
    UMask = "0077";
  };

  # The same for a user unit (systemd turns on PrivateUsers= for these in
  # a user manager). When every file goes to the runtime directory, the
  # home folders are hidden and only the runtime directory is bound back.
  userSandbox = artifact: {
    PrivateNetwork = true;
    PrivateTmp = true;
    NoNewPrivileges = true;
    UMask = "0077";
  } // lib.optionalAttrs (lib.all inRuntimeDir (paths artifact)) {
    ProtectHome = "tmpfs";
    BindPaths = [ "%t" ];
  };

  # The units of the artifacts it reads: started first, and a new value
  # of one restarts this one too (Requires= propagates restarts).
  dependencyUnits = artifact: map units.artifactUnit (lib.filter (d: cfg.store ? ${d}) artifact.dependencies);

  nixosService = artifactName: artifact: {
    description = "artifacts: ${artifactName}, generated on the machine (dummy backend)";
    wantedBy = [ "multi-user.target" ];
    requires = dependencyUnits artifact;
    after = dependencyUnits artifact;
    # A changed definition restarts the unit in one step, which systemd
    # propagates to the units bound to it.
    stopIfChanged = false;
    serviceConfig = systemSandbox artifact // {
      Type = "oneshot";
      RemainAfterExit = true;
      ExecStart = command artifactName artifact;
    };
  };

  homeService = artifactName: artifact: {
    Unit = {
      Description = "artifacts: ${artifactName}, generated on the machine (dummy backend)";
      Requires = dependencyUnits artifact;
      After = dependencyUnits artifact;
    };
    Service = userSandbox artifact // {
      Type = "oneshot";
      RemainAfterExit = true;
      ExecStart = command artifactName artifact;
    };
    Install.WantedBy = [ "default.target" ];
  };

  service = if isMachine then nixosService else homeService;
}
