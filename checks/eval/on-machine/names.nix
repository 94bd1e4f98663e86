# The artifacts of the on-machine names test (rust/nix-tests/tests/machine_names.rs):
# file names as wide as the file rule allows (modules/names.nix), shared by
# the fixture flake the CLI generates them in (plain `lib.mkScope`) and the
# machine evaluated with our module and the real agenix and sops-nix
# modules (../names-on-machine.nix). `gen NAME SCRIPT` makes a generator.
gen: {
  # The original nixos-artifacts' scenario `artifact-name-formats`: a dot
  # in the artifact's name, dots, dashes, capitals and a space in its
  # files'; here on agenix, plus a public part with a space and a comma.
  "artifact.one" = {
    files."first.secret".path = "/run/secrets/first.secret";
    files."second_secret".path = "/run/secrets/second_secret";
    files."third-secret".path = "/run/secrets/third-secret";
    files."forthSecret".path = "/run/secrets/forthSecret";
    files."fifth secret".path = "/run/secrets/fifth secret";
    files."sixth, public" = { secret = false; mode = "0444"; };
    # A name agenix's activation script would run as a command, at a path
    # it takes.
    files."quo\"te $HOME `x` \\ü".path = "/run/secrets/quote";
    generator = gen "artifact-one" ''
      for f in first.secret second_secret third-secret forthSecret 'fifth secret' 'sixth, public' 'quo"te $HOME `x` \ü'; do
        printf '%s %s\n' "$f" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > "$out/$f"
      done
    '';
  };
  # On sops-nix, names the shell and the Nix store cannot take as they are,
  # at their default paths.
  "names.sops" = {
    backend = "sops-nix";
    files."fifth secret" = { };
    files."quo\"te $HOME `x` \\ü" = { };
    files."ünïcode 日本" = { };
    generator = gen "names-sops" ''
      for f in 'fifth secret' 'quo"te $HOME `x` \ü' 'ünïcode 日本'; do
        printf '%s %s\n' "$f" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > "$out/$f"
      done
    '';
  };
}
