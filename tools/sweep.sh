#!/usr/bin/env bash
# The sweep behind din4j train's regularisation defaults (docs/models.md, "Choosing the defaults").
#   tools/sweep.sh [seeds] [few-row users] [many-row users] [λ list] [min-count list] [epochs]
#   tools/sweep.sh 3 5000 500 0,100,1000 1,3 4          # the table in docs/models.md
# Builds the project (tests compiled, not run) and runs io.din4j.cli.RegularisationSweep in one JVM; per-run lines go
# to stderr, the markdown table to stdout.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -o -B -q -DskipTests package >&2
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp cli/target/test-classes:cli/target/din4j-cli.jar io.din4j.cli.RegularisationSweep "$@"
