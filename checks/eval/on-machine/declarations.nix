# The artifacts of the on-machine tests (rust/nix-tests/tests/machine_*.rs),
# shared by the fixture flake the CLI generates them in (plain `lib.mkScope`
# declarations) and by the machine evaluated with our module and the real
# agenix module (../on-machine.nix). `gen NAME SCRIPT` makes a generator.
gen: {
  # A secret with its own path, owner, group and mode, read by `greeter`.
  greeting = {
    files.text = { owner = "greeter"; group = "greeter"; mode = "0440"; path = "/var/lib/greeter/text"; };
    generator = gen "greeting" ''printf 'hello from artifacts %s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > "$out/text"'';
    services = [ "greeter" ];
  };
  # A key pair: the private half on agenix at the default path, the public
  # half deployed from the Nix store.
  wg = {
    files.private = { };
    files.public = { secret = false; mode = "0444"; owner = "greeter"; group = "greeter"; };
    generator = gen "wg" ''
      key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
      printf 'private %s\n' "$key" > "$out/private"
      printf 'public %s\n' "$key" > "$out/public"
    '';
  };
  # A password hash NixOS reads while it creates users: the users stage.
  password = {
    files.hash = { };
    neededFor = "users";
    generator = gen "password" ''printf '$6$%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > "$out/hash"'';
  };
}
