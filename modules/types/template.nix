# The type of `artifacts.templates.<name>`: a file rendered on the target
# from `content`, where the placeholders (`config.artifacts.placeholder.<a>.<f>`)
# are replaced by the deployed files' values. ../templates.nix renders it.
{ lib, cfg, isMachine, nameRule }:
let
  inherit (lib) mkOption types literalExpression;
  templateUnit = name: "artifacts-template-${builtins.replaceStrings [ "@" "+" ] [ "\\x40" "\\x2b" ] name}.service";
  unitKind = if isMachine then "systemd.services" else "systemd.user.services";
in
types.submodule ({ name, ... }: {
  options = {
    content = mkOption {
      type = types.str;
      example = literalExpression ''
        '''
          [server]
          token = ''${config.artifacts.placeholder.attic.token}
          public_key = ''${config.artifacts.store.wg.files.public.value}
        '''
      '';
      description = ''
        The file's content, with `config.artifacts.placeholder.<artifact>.<file>`
        where a deployed file's value goes. The content is in the Nix store:
        it must hold placeholders only, never a secret. Public parts can be
        used directly with `files.<f>.value`.
      '';
    };
    path = mkOption {
      type = types.str;
      default = "${cfg.runtimeDir}/artifact-templates/${name}";
      defaultText = literalExpression ''"''${config.artifacts.runtimeDir}/artifact-templates/<name>"'';
      description = "Where the rendered file appears on the target.";
    };
    mode = mkOption {
      type = types.str;
      default = "0400";
      description = "Permissions of the rendered file, octal.";
    };
    services = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = ''
        Services (`${unitKind}` names) that read the rendered file: they
        start after it is rendered and restart when a switch changes what
        it renders (the template, or a value it uses), and only then.
      '';
    };
    reloadServices = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Like {option}`services`, but reloaded instead of restarted.";
    };
    unit = mkOption {
      type = types.str;
      readOnly = true;
      default = templateUnit name;
      defaultText = literalExpression ''"artifacts-template-<name>.service"'';
      description = ''
        The unit that renders the file${lib.optionalString (!isMachine) " (a user unit)"},
        bound to the units of the artifacts it uses. ${nameRule}
      '';
    };
  } // lib.optionalAttrs isMachine {
    owner = mkOption { type = types.str; default = "root"; description = "User owning the rendered file."; };
    group = mkOption { type = types.str; default = "root"; description = "Group owning the rendered file."; };
  };
})
