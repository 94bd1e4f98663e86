# The rule for names that become paths: the scope's name (`artifacts.name`),
# artifact, file and prompt names. The CLI applies the same rule before it
# writes anything (rust/artifacts/src/names.rs); keep the two identical.
# The modules use it through modules/names.nix.
# A valid name is one path component that cannot climb (`..`), hide (`.x`,
# reserved for the store's own files such as `.meta.json`) or pass for a
# command-line option (`-x`). Builtins only.
let
  maxLength = 128;
  first = "A-Za-z0-9_";
  others = "A-Za-z0-9_.@+-";
  allowed = class: c: builtins.match "[${class}]" c != null;
  characters = name: builtins.genList (i: builtins.substring i 1 name) (builtins.stringLength name);
  # A character (one byte) for a message: printable ASCII quoted, anything
  # else described, so a message never carries control bytes or half a
  # UTF-8 sequence.
  showCharacter = c:
    if builtins.match "[ -~]" c != null then builtins.toJSON c else "a control or non-ASCII character";
in
rec {
  rule = "1 to ${toString maxLength} characters, the first one of A-Z a-z 0-9 _, the others of A-Z a-z 0-9 _ . @ + -";

  # Why `name` breaks the rule, or null when it is valid.
  problem = name:
    let
      length = builtins.stringLength name;
      head = builtins.substring 0 1 name;
      bad = builtins.filter (c: !(allowed others c)) (characters name);
    in
    if length == 0 then "it is empty"
    else if length > maxLength then "it is longer than ${toString maxLength} characters"
    else if !(allowed first head) then
      "it starts with ${showCharacter head}"
      + (if head == "." then " (names starting with \".\" are reserved for the store's own files)" else "")
    else if builtins.match "[${others}]*" name == null then "it contains ${showCharacter (builtins.head bad)}"
    else null;

  valid = name: problem name == null;

  # A name for a message: as declared when valid, else JSON-quoted so an
  # empty name or one with spaces or newlines is visible as such.
  show = name: if valid name then "'${name}'" else builtins.toJSON name;
}
