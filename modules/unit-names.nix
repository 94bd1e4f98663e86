# systemd unit names: the unit of each artifact, and the services an
# artifact lists in `services` / `reloadServices`. Builtins only.
#
# An artifact's unit is `artifact-<name>.service`. Artifact names may hold
# `@` (a template instance to systemd) and `+` (not allowed in unit names),
# so those two are escaped the way `systemd-escape` does: `\x40`, `\x2b`.
# Every other character of a valid name (./names.nix) is fine in a unit name.
let
  escape = builtins.replaceStrings [ "@" "+" ] [ "\\x40" "\\x2b" ];
  suffix = ".service";
  hasSuffix = s: name:
    let n = builtins.stringLength name; m = builtins.stringLength s; in
    n >= m && builtins.substring (n - m) m name == s;
in
rec {
  # The attribute under `systemd.services` (NixOS) or
  # `systemd.user.services` (Home Manager) of an artifact's unit.
  artifactAttr = artifactName: "artifact-${escape artifactName}";
  # Its full unit name.
  artifactUnit = artifactName: artifactAttr artifactName + suffix;

  # A unit listed in `services`: "atticd" and "atticd.service" both name
  # the service atticd. A name with another suffix (`.socket`, `.timer`)
  # is refused (./services.nix); spell out `.service` when the name has a dot.
  isService = name: hasSuffix suffix name || builtins.match "[^.]*" name != null;
  serviceAttr = name: if hasSuffix suffix name then builtins.substring 0 (builtins.stringLength name - builtins.stringLength suffix) name else name;
  serviceUnit = name: serviceAttr name + suffix;
}
