#!/usr/bin/env bash
# The sweep behind din4j train's regularisation defaults (docs/models.md, "Choosing the defaults").
#   tools/sweep.sh [seeds] [users] [settings] [epochs] [shapes]
#   tools/sweep.sh 3 2000 2000:1,2000:3,5000:1 4 few-noise,few-useful,many,two-task   # the table in docs/models.md (~30 min)
# settings: λ:min-count pairs (--mba-lambda, --min-count); users: U of the few-row worlds (many-row: U/8); shapes are
# described in cli/src/test/java/io/din4j/cli/RegularisationSweep.java and docs/models.md.
# Builds the project (tests compiled, not run; set SWEEP_NO_BUILD=1 to skip) and runs io.din4j.cli.RegularisationSweep
# in one niced JVM; per-run lines go to stderr, the markdown table (after every seed) to stdout.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if [[ -z "${SWEEP_NO_BUILD:-}" ]]; then
  nice -n 19 ./mvnw -o -B -q -DskipTests package >&2
fi
exec nice -n 19 "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp cli/target/test-classes:cli/target/din4j-cli.jar io.din4j.cli.RegularisationSweep "$@"
