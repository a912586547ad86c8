# Developer shortcuts; the README's commands do not need just.

# Run the whole test suite (the README's test command).
test:
    cargo test --release

# Run the bundled fixture months end to end.
demo:
    cargo run --release -- validate --period 2026-09
    cargo run --release -- validate --period 2026-10

# What CI runs.
ci:
    bash .ci/run

# Regenerate the realistic fixture months (then recheck the tests).
fixtures:
    python3 fixtures/make_periods.py

# Generate 2M- and 20M-row months, time `settle run` and DuckDB, write docs/performance.md.
bench:
    bash bench/run.sh
