# The scope the golden manifest describes: machine "alpha" with the test host
# key of checks/keys and one administrator (checks/keys/admin.agekey).
{
  kind = "machine";
  name = "alpha";
  publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEO2nqNnp5CacRzlpi8Vp48xmZdk3ZA5Gmn6MfWeDOGY root@alpha (TEST ONLY)";
  adminRecipients = [ "age145ppa0tz9z26gu7sw9qrntmhezwv06py3pwqqs0476jl4923lugq2zszkd" ];
}
