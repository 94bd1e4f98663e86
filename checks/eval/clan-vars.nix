# clan vars declarations (modules/clan-vars.nix) on the real agenix and
# sops-nix modules. The generators are re-expressed from clan-core's own
# service modules: the OpenSSH host key (clanServices/sshd), the root
# password of the users stage (clanServices/users) and a shared CA whose key
# is never deployed with a certificate made from it. Their stored files are
# in the fixtures.
{ lib, pkgs, machine, home, summary, failed, agenixNixos, sopsNixos, agenixHome, fixtures, ... }:
let
  clanVars = ../../modules/clan-vars.nix;

  declarations = { config, ... }: {
    artifacts.directory = fixtures;
    systemd.services.nginx = { };

    clan.core.vars.generators.openssh = {
      files."ssh.id_ed25519" = { };
      files."ssh.id_ed25519.pub".secret = false;
      runtimeInputs = [ pkgs.openssh ];
      script = ''
        ssh-keygen -t ed25519 -N "" -C "" -f "$out"/ssh.id_ed25519
      '';
    };

    clan.core.vars.generators.root-password = {
      files.password-hash.neededFor = "users";
      files.password.deploy = false;
      prompts.password = { type = "hidden"; persist = true; description = "The root password"; };
      runtimeInputs = [ pkgs.mkpasswd ];
      script = ''
        mkpasswd -s -m sha-512 < "$prompts"/password | tr -d '\n' > "$out"/password-hash
      '';
    };
    users.users.root.hashedPasswordFile = config.clan.core.vars.generators.root-password.files.password-hash.path;

    clan.core.vars.generators.x509-ca = {
      share = true;
      files.key.deploy = false;
      files.cert.secret = false;
      runtimeInputs = [ pkgs.openssl ];
      script = ''
        openssl req -x509 -newkey ed25519 -nodes -days 3650 -subj /CN=ca -keyout "$out"/key -out "$out"/cert
      '';
    };
    clan.core.vars.generators.x509-cert = {
      dependencies = [ "x509-ca" ];
      validation.domain = "alpha.example.org";
      files.key = { owner = "nginx"; group = "nginx"; mode = "440"; restartUnits = [ "nginx.service" ]; };
      files.cert.secret = false;
      runtimeInputs = [ pkgs.openssl ];
      script = ''
        req=$(mktemp)
        openssl req -newkey ed25519 -nodes -subj /CN=alpha.example.org -keyout "$out"/key -out "$req"
        openssl x509 -req -in "$req" -CA "$in"/x509-ca/cert -CAkey "$in"/x509-ca/key -days 365 -out "$out"/cert
      '';
    };
  };

  # What the clan side reads back, and what it became on our side.
  clanView = config:
    let gens = config.clan.core.vars.generators; in {
      paths = {
        sshKey = gens.openssh.files."ssh.id_ed25519".path;
        passwordHash = gens.root-password.files.password-hash.path;
        certKey = gens.x509-cert.files.key.path;
      };
      values = {
        sshPub = gens.openssh.files."ssh.id_ed25519.pub".value;
        caCert = gens.x509-ca.files.cert.value;
      };
      caKeyPath = (builtins.tryEval gens.x509-ca.files.key.path).success;
      store = lib.mapAttrs
        (_: a: {
          inherit (a) neededFor shared dependencies validation services;
          files = lib.mapAttrs (_: f: { inherit (f) secret deploy mode; } // lib.optionalAttrs (f ? owner) { inherit (f) owner group; }) a.files;
          prompts = lib.mapAttrs (_: p: { inherit (p) type description; }) a.prompts;
          generator = a.generator.text;
          runtimeInputs = map (p: p.name) a.runtimeInputs;
        })
        config.artifacts.store;
      hashedPasswordFile = config.users.users.root.hashedPasswordFile;
    };

  onMachine = modules: let config = machine ([ clanVars declarations ] ++ modules); in summary config // clanView config;
  # One unsupported declaration on top of a plain generator.
  unsupported = extra: summary (machine [
    clanVars
    { artifacts.directory = fixtures; clan.core.vars.generators.g = lib.recursiveUpdate { files.f = { }; script = "true"; } extra; }
  ]);
in
{
  clanVarsAgenix = onMachine [ agenixNixos ];
  clanVarsSops = onMachine [ sopsNixos { artifacts.default.backend = "sops-nix"; } ];

  clanVarsActivation = unsupported { files.f.neededFor = "activation"; };
  clanVarsPartitioning = unsupported { files.f.neededFor = "partitioning"; };
  clanVarsMultilineHidden = unsupported { prompts.p.type = "multiline-hidden"; };
  clanVarsMixedStages = unsupported { files.f.neededFor = "users"; files.g = { }; };
  clanVarsMigrateFact = unsupported { migrateFact = "old"; };
  # A never-deployed file's stage does not matter: it is not deployed.
  clanVarsUndeployedStage = unsupported { files.f = { neededFor = "activation"; deploy = false; }; files.g = { }; };

  # clan-core's interface since 2025-04: four-digit modes, the prompts'
  # display hints (`required = false` is our allowEmpty), `exists` of a
  # public file (stored here: sshd's `openssh`, not stored: `g`).
  clanVarsCurrentInterface =
    let
      config = machine [
        clanVars
        declarations
        {
          clan.core.vars.generators.g = {
            files.four.mode = "0640";
            files.three.mode = "440";
            files.pub.secret = false;
            prompts.optional.display = { required = false; label = "Optional"; group = "G"; helperText = "may be empty"; };
            prompts.required = { };
            script = "true";
          };
        }
      ];
      gens = config.clan.core.vars.generators;
    in
    {
      modes = lib.mapAttrs (_: f: f.mode) config.artifacts.store.g.files;
      allowEmpty = lib.mapAttrs (_: p: p.allowEmpty) config.artifacts.store.g.prompts;
      exists = { stored = gens.openssh.files."ssh.id_ed25519.pub".exists; missing = gens.g.files.pub.exists; };
    };
  # Whether a secret file exists cannot be known, as in clan.
  clanVarsSecretExists = (machine [ clanVars declarations ]).clan.core.vars.generators.openssh.files."ssh.id_ed25519".exists;

  # clan's machine-level store choice: "sops" and "age" choose our backend,
  # the rest are assertions.
  clanVarsSettings =
    let
      backend = settings: extra: let config = machine ([ clanVars agenixNixos { artifacts.directory = fixtures; clan.core.vars.settings = settings; } ] ++ extra); in {
        inherit (config.artifacts.default) backend;
        failed = lib.filter (m: lib.hasInfix "clan.core.vars.settings" m) (failed config);
      };
    in
    {
      sops = backend { secretStore = "sops"; } [ sopsNixos ];
      age = backend { secretStore = "age"; publicStore = "in_repo"; } [ ];
      none = backend { } [ ];
      conflict = backend { secretStore = "sops"; } [ { artifacts.default.backend = "agenix"; } ];
      passwordStore = backend { secretStore = "password-store"; } [ ];
      recipients = backend { recipients.hosts.alpha = [ "age1..." ]; } [ ];
    };

  clanVarsHomeOwner = summary (home [
    clanVars
    agenixHome
    {
      artifacts.directory = fixtures;
      age.identityPaths = [ "/home/alice/.ssh/id_ed25519" ];
      clan.core.vars.generators.g = { files.f.owner = "nginx"; script = "true"; };
    }
  ]);
}
