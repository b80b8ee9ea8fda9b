#!/usr/bin/env bash
# The sweep behind din4j train's regularisation defaults (docs/models.md, "Choosing the defaults").
#   tools/sweep.sh [seeds] [users] [settings] [epochs] [shapes] [test rows]
#   tools/sweep.sh 24 10000 2000:1 0 few-noise,few-useful,many,two-task 30000   # the table in docs/models.md
# Per world and seed it runs the default flags with user_id kept and with --ignore user_id, and every setting
# λ:min-count of the list with user_id kept (λ:min-count+drop: dropped too); 2000:1 is "user_id kept in full".
# epochs 0 = train's default (3, early stopping on the validation file); users: U of the few-row worlds (many-row:
# U/8); test rows: about this many rows in each world's test file (scored once), a third as many for validation.
# Shapes are described in cli/src/test/java/io/din4j/cli/RegularisationSweep.java and docs/models.md. The output is
# paired differences (arm - default on the same world, seed and test file): mean ± standard error over the seeds.
# Builds the project (tests compiled, not run; set SWEEP_NO_BUILD=1 to skip) and runs io.din4j.cli.RegularisationSweep
# in one niced JVM from a copy of the jar and test classes (so a rebuild during the sweep does not disturb it);
# per-run lines go to stderr, the markdown tables (after every seed) to stdout.
# Extending and combining (a world and its runs depend only on the seed, so seed s reproduces exactly):
#   SWEEP_FIRST_SEED=13  the seeds run are 13 .. 13 + seeds - 1 (default 1)
#   SWEEP_RAW=file.tsv   append every run's line to file.tsv (header written when new): world, seed, setting
#                        (default or λ:min-count), user_id (kept|dropped), auc (test), epoch_kept (1-based),
#                        epochs_run, seconds, self_dropped (train dropped user_id itself: the drop arm is that run)
#   tools/sweep.sh --from-tsv a.tsv b.tsv ...   the tables from raw files alone, combined (no training; a run found
#                        twice is kept once); a seed counts for a world when all its arms are there.
#   e.g. SWEEP_RAW=r1.tsv tools/sweep.sh 12 ...; later SWEEP_FIRST_SEED=13 SWEEP_RAW=r2.tsv tools/sweep.sh 12 ...;
#        then SWEEP_NO_BUILD=1 tools/sweep.sh --from-tsv r1.tsv r2.tsv
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if [[ -z "${SWEEP_NO_BUILD:-}" ]]; then
  nice -n 19 ./mvnw -o -B -q -DskipTests package >&2
fi
RUN="$(mktemp -d)"
trap 'rm -rf "$RUN"' EXIT
cp cli/target/din4j-cli.jar "$RUN/"
cp -r cli/target/test-classes "$RUN/test-classes"
nice -n 19 "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "$RUN/test-classes:$RUN/din4j-cli.jar" io.din4j.cli.RegularisationSweep "$@"
