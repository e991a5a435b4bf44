# Sourced by the scripts: helpers shared between them.

# Cargo's target directory, wherever CARGO_TARGET_DIR or .cargo/config put it.
target_dir() {
  cargo metadata --no-deps --format-version 1 \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# Prints a step's title, when it starts (minutes and seconds since the script that began the
# run started its first step) and the disk space left, so a slow or a filling step shows.
: "${STEPS_STARTED:=$(date +%s)}"
export STEPS_STARTED
step() {
  local t=$(( $(date +%s) - STEPS_STARTED ))
  printf '\n==> [%d:%02d] %s (%s free)\n' $(( t / 60 )) $(( t % 60 )) "$*" \
    "$(df -h . | awk 'NR == 2 {print $4}')"
}
