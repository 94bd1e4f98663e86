# Evaluated by the CLI with `nix eval`: the manifests of every machine
# (NixOS and nix-darwin) and every home of the flake named by
# $ARTIFACTS_FLAKE (an environment variable, so no quoting of the reference
# into Nix source is needed). A scope whose configuration throws is reported
# as failed, not fatal, so the others still run.
#
# Two ways to run it:
# - a worker ($ARTIFACTS_WORKER = {"slice":I,"of":N,"skip":[[KIND,NAME]…]}):
#   first one trace line listing every configuration (machines, Macs, homes), then one per
#   configuration of its slice (position in that list modulo N is I, less
#   `skip`), each printed as soon as it is evaluated: the CLI keeps what a
#   worker it replaces (over its memory limit) has already done;
# - otherwise one JSON value with every scope: shell completion, with
#   $ARTIFACTS_NAMES_ONLY, which reads only names.
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
  machineOf = cfg: attempt (manifestOf cfg) // { homes = embeddedHomes cfg; };
  scopeOf = cfg: attempt (manifestOf cfg);
  machines = flake.nixosConfigurations or { };
  # Macs managed by nix-darwin: machines like the NixOS ones.
  darwins = flake.darwinConfigurations or { };
  homes = flake.homeConfigurations or { };
  # Not `outPath`: an attribute set with one is printed as that string.
  source = toString flake.outPath;

  workerEnv = builtins.getEnv "ARTIFACTS_WORKER";
  worker = builtins.fromJSON workerEnv;
  configurations = map (name: [ "machine" name ]) (builtins.attrNames machines)
    ++ map (name: [ "darwin" name ]) (builtins.attrNames darwins)
    ++ map (name: [ "home" name ]) (builtins.attrNames homes);
  skipped = builtins.listToAttrs
    (map (c: { name = builtins.toJSON c; value = true; }) worker.skip);
  count = builtins.length configurations;
  inSlice = i: i - (i / worker.of) * worker.of == worker.slice;
  slice = builtins.filter (c: !(skipped ? ${builtins.toJSON c}))
    (map (builtins.elemAt configurations)
      (builtins.filter inSlice (builtins.genList (i: i) count)));
  valueOf = c:
    let kind = builtins.head c; name = builtins.elemAt c 1;
    in if kind == "machine" then machineOf machines.${name}
    else scopeOf (if kind == "darwin" then darwins else homes).${name};
  say = message: builtins.trace ("artifacts-eval " + builtins.toJSON message) null;
  listed = say { inherit source configurations; };
  # One at a time, each traced before the next starts.
  report = done: c: builtins.seq (say { configuration = c; value = valueOf c; }) (done + 1);
in
if workerEnv != ""
then builtins.foldl' report (builtins.seq listed 0) slice
else {
  inherit source;
  machines = builtins.mapAttrs (_: machineOf) machines;
  darwinMachines = builtins.mapAttrs (_: scopeOf) darwins;
  homes = builtins.mapAttrs (_: scopeOf) homes;
}
