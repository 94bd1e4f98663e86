# Defaults shared by the Nix modules and the manifest builder, kept in one
# place so that a declaration means the same thing everywhere.
{
  backend = "agenix";

  # The runtime location of a deployed file, identical for every backend so
  # that switching backends never changes the path a service reads.
  # `runtimeDir` is "/run" on NixOS and the user's runtime directory in
  # Home Manager.
  filePath = { runtimeDir ? "/run", artifact, file }: "${runtimeDir}/artifacts/${artifact}/${file}";

  file = {
    owner = "root";
    group = "root";
    mode = "0400";
    secret = true;
  };

  # Prompts ask for secrets more often than not: default to not echoing.
  promptType = "hidden";
  promptTypes = [ "hidden" "line" "multiline" ];

  # What the dummy backend answers to a prompt without a `testValue`: a
  # fixed placeholder naming it, one word, no newline.
  dummyAnswer = { artifact, prompt }: "dummy-${artifact}-${prompt}";

  # The folder, relative to the flake's root, where the CLI stores artifacts.
  directoryName = "artifacts";
}
