# Evaluated by the CLI with ONE `nix eval` process: every machine's and every
# home's manifest of the flake named by $ARTIFACTS_FLAKE (an environment
# variable, so no quoting of the reference into Nix source is needed).
# A scope whose configuration throws is reported as failed, not fatal, so the
# others still run.
let
  flake = builtins.getFlake (builtins.getEnv "ARTIFACTS_FLAKE");
  # Shell completion ($ARTIFACTS_NAMES_ONLY) reads only names: the rest of
  # the manifest, generators above all, is never evaluated.
  namesOnly = builtins.getEnv "ARTIFACTS_NAMES_ONLY" == "1";
  namesOf = m: {
    inherit (m) name;
    artifacts = builtins.mapAttrs
      (_: a: { inherit (a) name shared; files = builtins.attrNames a.files; })
      m.artifacts;
  };
  view = m: if namesOnly && m != null then namesOf m else m;
  attempt = value:
    let v = view value; r = builtins.tryEval (builtins.deepSeq v v);
    in if r.success then { manifest = r.value; } else { error = true; };
  manifestOf = cfg: cfg.config.artifacts.manifest or null;
  # Home Manager used as a NixOS module: home-manager.users.<user>.
  embeddedHomes = cfg:
    let users = builtins.tryEval (cfg.config.home-manager.users or { });
    in if users.success && builtins.isAttrs users.value
    then builtins.mapAttrs (_: hm: attempt (hm.artifacts.manifest or null)) users.value
    else { };
in
{
  # Not `outPath`: an attribute set with one is printed as that string.
  source = toString flake.outPath;
  machines = builtins.mapAttrs
    (_: cfg: attempt (manifestOf cfg) // { homes = embeddedHomes cfg; })
    (flake.nixosConfigurations or { });
  homes = builtins.mapAttrs (_: cfg: attempt (manifestOf cfg)) (flake.homeConfigurations or { });
}
