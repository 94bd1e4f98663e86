# The rule for names that become paths lives in lib/names.nix, so that
# lib/ (which fixture flakes copy alone) and the modules share one copy.
import ../lib/names.nix
