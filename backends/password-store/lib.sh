# Sourced by check, serialize and deserialize (not run on its own): where an
# artifact's files live in the password store. Sets
#   store   the password store's folder ($PASSWORD_STORE_DIR, as pass uses it)
#   folder  the artifact's entry folder: <prefix>/<scope>/<artifact>
#   files   the declared file names (one entry each: <folder>/<file>)
# where <scope> mirrors the flake's artifacts/ layout: machines/<machine>,
# homes/<username> or shared, and <prefix> is
# artifacts.config.password-store.prefix (default "artifacts").
set -euo pipefail

die() { echo "password-store backend: $*" >&2; exit 2; }

for tool in pass:pass gpg:gnupg jq:jq; do
  command -v "${tool%%:*}" >/dev/null || die "${tool%%:*} is not installed (Debian: apt-get install ${tool#*:})"
done

store=${PASSWORD_STORE_DIR:-$HOME/.password-store}

# Every target of a shared artifact must name the same prefix: the
# artifact is stored once.
prefix=$(jq -r '[.targets[] | (.config // {}).prefix // "artifacts"] | unique
                | if length == 1 then .[0] else error("targets disagree on the prefix: \(.)") end' "$targets") ||
  die "cannot read artifacts.config.password-store.prefix from $targets"
prefix=${prefix#/}
prefix=${prefix%/}

case $artifact_context in
  nixos) scope=machines/$machine ;;
  homemanager) scope=homes/$username ;;
  shared) scope=shared ;;
  *) die "unknown artifact_context '$artifact_context'" ;;
esac
case /$scope/ in
  *//* | */../* | */./*) die "'$scope' cannot be a folder of the password store" ;;
esac

folder=${prefix:+$prefix/}$scope/$artifact

files=()
for description in "$inputs"/*.json; do
  [ -e "$description" ] || continue
  name=${description##*/}
  files+=("${name%.json}")
done
