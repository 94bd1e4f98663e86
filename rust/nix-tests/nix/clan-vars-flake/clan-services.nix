# clan service modules' vars generators, re-expressed as clan-core writes
# them (clanServices/sshd, clanServices/admin/root-password.nix,
# clanServices/pki at 2026-08), with what they read of clan's own settings
# (`clan.core.settings.machine.name`, `.domain`, the pki endpoints from
# clan's exports) written in: one endpoint per machine, named after it.
# One module per service, as clan imports them.
{ config, lib, pkgs, ... }:
let
  name = config.networking.hostName;
  domain = "example.org";
  endpoint = name;
  gens = config.clan.core.vars.generators;

  # clanServices/sshd: a host key, and root's own key, which root may log
  # in with once it exists (`.exists` of a public file).
  sshd.clan.core.vars.generators.openssh = {
    files."ssh.id_ed25519" = { };
    files."ssh.id_ed25519.pub".secret = false;
    runtimeInputs = [
      pkgs.coreutils
      pkgs.openssh
    ];
    script = ''
      ssh-keygen -t ed25519 -N "" -C "" -f "$out"/ssh.id_ed25519
    '';
  };
  sshd.clan.core.vars.generators.sshd-root-key = {
    files."id_ed25519" = { };
    files."id_ed25519.pub".secret = false;
    runtimeInputs = [ pkgs.openssh ];
    script = ''
      ssh-keygen -t ed25519 -N "" -C "root@${name}" -f "$out"/id_ed25519
    '';
  };
  # clanServices/sshd also makes this key the host key
  # (`services.openssh.hostKeys`). Not here: agenix and sops-nix decrypt
  # with the host key, so it cannot be a secret they deploy (clan's sops
  # store has a key of its own); the machine keeps its key (README).
  sshd.users.users.root.openssh.authorizedKeys.keys =
    lib.optional gens.sshd-root-key.files."id_ed25519.pub".exists gens.sshd-root-key.files."id_ed25519.pub".value;

  # clanServices/admin/root-password.nix: a persisted hidden prompt; an
  # empty answer makes xkcdpass choose the password.
  rootPassword.users.mutableUsers = false;
  rootPassword.users.users.root.hashedPasswordFile =
    config.clan.core.vars.generators.root-password.files.password-hash.path;
  rootPassword.clan.core.vars.generators.root-password = {
    files.password-hash.neededFor = "users";

    files.password.deploy = false;

    runtimeInputs = [
      pkgs.coreutils
      pkgs.mkpasswd
      pkgs.xkcdpass
    ];

    prompts.password.display = {
      group = "Root User";
      label = "Password";
      required = false;
      helperText = ''
        Your password will be encrypted and stored securely using the secret store you've configured.
      '';
    };

    prompts.password.type = "hidden";
    prompts.password.persist = true;
    prompts.password.description = "Leave empty to generate automatically";

    script = ''
      prompt_value="$(cat "$prompts"/password)"
      if [[ -n "''${prompt_value-}" ]]; then
        echo "$prompt_value" | tr -d "\n" > "$out"/password
      else
        xkcdpass --numwords 6 --delimiter - --count 1 | tr -d "\n" > "$out"/password
      fi
      mkpasswd -s < "$out"/password | tr -d "\n" > "$out"/password-hash
    '';
  };

  # clanServices/pki: a shared root CA whose key never leaves the
  # administrators, and each endpoint's certificate made from it.
  pki.users.groups.clan-pki = { };
  pki.security.pki.certificateFiles = [
    config.clan.core.vars.generators."pki-root-ca".files."ca.crt".path
  ];
  pki.services.nginx.virtualHosts."${endpoint}.${domain}" = {
    sslCertificate = gens."cert-${endpoint}".files."${endpoint}.fullchain.crt".path;
    sslCertificateKey = gens."cert-${endpoint}".files."${endpoint}.key".path;
  };
  pki.clan.core.vars.generators = {
    "pki-root-ca" = {
      share = true;

      files."ca.key" = {
        secret = true;
        deploy = false;
      };
      files."ca.crt".secret = false;

      runtimeInputs = [ pkgs.openssl ];

      script = ''
        openssl genrsa -out $out/ca.key 4096

        openssl req -x509 -new -nodes \
          -key $out/ca.key \
          -sha256 -days 3650 \
          -subj "/CN=Clan Root CA" \
          -addext "basicConstraints=critical,CA:TRUE" \
          -addext "keyUsage=critical,keyCertSign,cRLSign" \
          -addext "subjectKeyIdentifier=hash" \
          -out $out/ca.crt
      '';
    };
    "cert-${endpoint}" = {
      dependencies = [ "pki-root-ca" ];

      files."${endpoint}.key" = {
        secret = true;
        deploy = true;
        group = "clan-pki";
        mode = "0640";
      };
      files."${endpoint}.crt" = {
        secret = false;
        deploy = true;
      };
      files."${endpoint}.fullchain.crt" = {
        secret = false;
        deploy = true;
      };

      validation = {
        inherit endpoint domain;
      };

      runtimeInputs = [ pkgs.openssl ];

      script = ''
        openssl genrsa -out "$out/${endpoint}.key" 4096

        openssl req -new \
          -key "$out/${endpoint}.key" \
          -subj "/CN=${endpoint}.${domain}" \
          -out endpoint.csr

        printf "subjectAltName=DNS:${endpoint}.${domain}" > san.cnf

        openssl x509 -req \
          -in endpoint.csr \
          -CA "$in/pki-root-ca/ca.crt" \
          -CAkey "$in/pki-root-ca/ca.key" \
          -CAcreateserial \
          -days 365 \
          -sha256 \
          -extfile san.cnf \
          -out "$out/${endpoint}.crt"

        cat "$out/${endpoint}.crt" "$in/pki-root-ca/ca.crt" \
          > "$out/${endpoint}.fullchain.crt"
      '';
    };
  };
in
{
  imports = [ sshd rootPassword pki ];
}
