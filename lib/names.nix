# The rules for names that become paths. The CLI applies the same rules
# before it writes anything (rust/artifacts/src/names.rs); keep the two
# identical: both are tested against tests/golden/names.json. The modules
# use them through modules/names.nix. Builtins only.
#   - `rule`: the scope's name (`artifacts.name`), artifact, prompt and
#     template names, which also become unit names, command-line targets
#     and environment values: one path component that cannot climb (`..`),
#     hide (`.x`, reserved for the store's own files such as `.meta.json`)
#     or pass for a command-line option (`-x`), in a narrow ASCII set;
#   - `fileRule`: file names, as wide as is safe everywhere a file name goes
#     (the original nixos-artifacts accepts `files."fifth secret"`): one
#     path component, not hidden, not an option, no control characters.
#     Where a file name meets a tool that cannot take every such name (a
#     Nix store path name, agenix's activation script), the modules derive
#     a safe name instead (modules/lib.nix).
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

  # The control characters (Unicode's Cc, as Rust's `char::is_control`):
  # U+0001-U+001F and U+007F-U+009F (Nix strings hold no U+0000).
  hexDigit = i: builtins.substring i 1 "0123456789abcdef";
  hex = i: hexDigit (i / 16) + hexDigit (i - i / 16 * 16);
  controlCodes = builtins.genList (i: i + 1) 31 ++ builtins.genList (i: i + 127) 33;
  controls = map (i: builtins.fromJSON "\"\\u00${hex i}\"") controlCodes;
  hasControl = name: builtins.replaceStrings controls (map (_: "") controls) name != name;
in
rec {
  rule = "1 to ${toString maxLength} characters, the first one of A-Z a-z 0-9 _, the others of A-Z a-z 0-9 _ . @ + -";
  fileRule = "1 to ${toString maxLength} bytes without \"/\" or control characters, not starting with \".\" or \"-\"";

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

  # Why a file name breaks the file rule, or null when it is valid.
  fileProblem = name:
    let head = builtins.substring 0 1 name; in
    if name == "" then "it is empty"
    else if builtins.stringLength name > maxLength then "it is longer than ${toString maxLength} bytes"
    else if head == "." then "it starts with \".\" (names starting with \".\" are reserved for the store's own files)"
    else if head == "-" then "it starts with \"-\""
    else if builtins.length (builtins.split "/" name) > 1 then "it contains \"/\""
    else if hasControl name then "it contains a control character"
    else null;

  validFile = name: fileProblem name == null;

  # Where a file name meets a tool that cannot take every valid one (a Nix
  # store path name, agenix's activation script): `name` with every byte
  # outside the regular-expression class `class` replaced by `_`.
  replaceUnsafe = class: name:
    builtins.concatStringsSep "" (map (c: if builtins.match "[${class}]" c != null then c else "_") (characters name));

  # A name JSON-quoted, with every control character escaped (`toJSON`
  # leaves U+007F-U+009F as they are), for messages and option paths.
  quote = name: builtins.replaceStrings controls (map (i: "\\u00${hex i}") controlCodes) (builtins.toJSON name);

  # A name for a message: as declared when valid, else quoted so an empty
  # name or one with spaces or newlines is visible as such.
  show = name: if valid name then "'${name}'" else quote name;
}
