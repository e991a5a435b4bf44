# Sourced by the scripts: helpers shared between them.

# Cargo's target directory, wherever CARGO_TARGET_DIR or .cargo/config put it.
target_dir() {
  cargo metadata --no-deps --format-version 1 \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}
