# Sourced by the test scripts: `step NAME COMMAND...` runs COMMAND between "==> NAME" and
# "<== NAME: N s" lines, so every script prints the time of each step the same way.
step() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "==> $name"
  "$@"
  echo "<== $name: $(( $(date +%s) - t0 )) s"
}
