#!/usr/bin/env bash
# Time to steady state of din4j train (docs/cli.md, "Time to steady state and the AOT cache"): the first epoch
# against the later ones, over repeated runs, optionally A/B between arms run in interleaved rounds.
#   tools/first-epoch.sh [options] RUNS [-- TRAIN_FLAGS...]
#   tools/first-epoch.sh 10 --arm before=git:99a6e6a --arm after=git:HEAD   # the old warm-up against the new (docs/cli.md)
# RUNS rounds; each round runs every arm once, the order rotating by one arm per round (AB, BA, AB, ...), so that a
# drift in the machine's load falls on both arms alike.
# Options:
#   --data FILE.csv   the training file (default: generated once into the output directory with `din4j generate
#                     --users 3000 --samples-per-user 25`: 60,000 training rows, histories 0-30, mean 15)
#   --users N         users of the generated file (20 training rows each)
#   --epochs E        epochs per run (default 4; at least 2: the ratio is epoch 1's time over the median of epochs
#                     2..E, computed from the epoch lines' samples/s, which every epoch of one file shares the rows of,
#                     so that it keeps the precision the lines' 0.1-s times lose on short epochs)
#   --out DIR         where the logs, models, builds and the raw table go (default: a new directory under /tmp,
#                     kept and named at the end)
#   --arm NAME=SPEC   an arm (repeatable; default one arm, now=./din4j of this checkout). SPEC is one of:
#                     git:REV    this repository's revision REV, exported (git archive) and built (offline, tests
#                                skipped) under DIR/build-NAME, run through its own ./din4j launcher (its jar where
#                                that revision has none): a jar run bare misses the launcher's JVM flags for train
#                     FILE.jar   a din4j CLI jar, run as the launcher runs it (incubator vector module, native
#                                access, -Xmx1g, then $DIN4J_JAVA_OPTS)
#                     COMMAND    shell words that run din4j, e.g. ./din4j or 'DIN4J_AOT=on ./din4j' or
#                                'DIN4J_JAVA_OPTS=-XX:CompileThresholdScaling=0.2 /path/to/din4j'
#                   Each arm runs `--version` once before the rounds, so a launcher that must build first does it
#                   outside the timings.
# TRAIN_FLAGS replace the defaults --model din --patience 0 --no-report --device cpu (--train, --epochs and --out
# are always the script's).
# Output on stdout: one markdown row per run as it ends (round, arm, UTC, 1-minute load before / after, the warm-up
# line's seconds, tiny and full-size steps and what ended it, epoch 1, epochs 2..E, their median, the ratio, and
# wall time from the command's start to the epoch-1 line: JVM start, vocabulary pass, warm-up and epoch 1), then
# per arm: runs, median ratio (range), runs within 1.3x, median time to epoch 1's end (range). The same per-run
# figures go to DIR/runs.tsv; each run's output, with seconds since its start before every line, to DIR/logs.
# Timings are the machine's: run it on a quiet one, or nice it (nice -n 19 tools/first-epoch.sh ...) beside others.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
ME="first-epoch.sh"
die() { echo "$ME: $*" >&2; exit 2; }

DATA="" USERS=3000 EPOCHS=4 OUT="" RUNS="" ARMS=() TRAIN_FLAGS=(--model din --patience 0 --no-report --device cpu)
while (( $# )); do
  case "$1" in
    --data) [[ $# -ge 2 ]] || die "--data needs a file"; DATA="$2"; shift 2 ;;
    --users) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--users needs a positive integer"; USERS="$2"; shift 2 ;;
    --epochs) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -ge 2 ]] || die "--epochs needs an integer of at least 2"; EPOCHS="$2"; shift 2 ;;
    --out) [[ $# -ge 2 ]] || die "--out needs a directory"; OUT="$2"; shift 2 ;;
    --arm) [[ $# -ge 2 && "$2" =~ ^[A-Za-z0-9_.+-]+=.+$ ]] || die "--arm needs NAME=SPEC (NAME of letters, digits, _.+-), got '${2:-}'"
           ARMS+=("$2"); shift 2 ;;
    --) shift; TRAIN_FLAGS=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [[ -z "$RUNS" ]] || die "one RUNS count expected, got '$RUNS' and '$1'"
       [[ "$1" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$1'"; RUNS="$1"; shift ;;
  esac
done
[[ -n "$RUNS" ]] || die "usage: tools/first-epoch.sh [--data FILE.csv] [--epochs E] [--arm NAME=SPEC]... RUNS [-- TRAIN_FLAGS...] (see --help)"
(( ${#ARMS[@]} )) || ARMS=("now=$ROOT/din4j")
for f in "${TRAIN_FLAGS[@]}"; do
  case "$f" in --train|--train=*|--epochs|--epochs=*|--out|--out=*) die "TRAIN_FLAGS may not set $f (the script sets it)" ;; esac
done
if [[ -n "$DATA" ]]; then
  [[ -f "$DATA" && -r "$DATA" ]] || die "--data $DATA: no such readable file"
  DATA="$(cd "$(dirname "$DATA")" && pwd)/$(basename "$DATA")"
fi
if [[ -z "$OUT" ]]; then OUT="$(mktemp -d /tmp/first-epoch.XXXXXX)"; fi
mkdir -p "$OUT/logs" || die "--out $OUT: cannot create it"
OUT="$(cd "$OUT" && pwd)"

# Each arm as a command prefix to which `train ...` is appended.
NAMES=() CMDS=()
for a in "${ARMS[@]}"; do
  name="${a%%=*}" spec="${a#*=}"
  for n in "${NAMES[@]}"; do [[ "$n" != "$name" ]] || die "--arm $name given twice"; done
  if [[ "$spec" == git:* ]]; then
    rev="${spec#git:}"
    sha="$(git -C "$ROOT" rev-parse -q --verify "$rev^{commit}")" || die "--arm $name: '$rev' is not a revision of $ROOT"
    b="$OUT/build-$name"
    # A build left by an earlier run into the same --out is reused only when it is of the same commit.
    if [[ ! -f "$b/cli/target/din4j-cli.jar" || "$(cat "$b/COMMIT" 2>/dev/null)" != "$sha" ]]; then
      echo "$ME: building $rev (${sha:0:7}) into $b" >&2
      rm -rf "$b"; mkdir -p "$b"
      git -C "$ROOT" archive "$sha" | tar -x -C "$b"
      (cd "$b" && ./mvnw -o -q -B -DskipTests package -pl cli -am >"$b/build.log" 2>&1) \
        || die "--arm $name: building $rev failed (log: $b/build.log)"
      echo "$sha" >"$b/COMMIT"
    fi
    # Its own launcher where it has one, so the arm gets that revision's JVM flags for train (the JIT thresholds of
    # docs/cli.md, "On-stack replacement"), as a user of that revision would; the bare jar otherwise.
    if [[ -x "$b/din4j" ]]; then spec="$b/din4j"; else spec="$b/cli/target/din4j-cli.jar"; fi
  fi
  if [[ "$spec" == *.jar ]]; then
    [[ -f "$spec" ]] || die "--arm $name: $spec: no such jar"
    spec="\"$JAVA_HOME/bin/java\" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx1g \${DIN4J_JAVA_OPTS:-} -jar \"$spec\""
  fi
  # Once before the rounds, outside the timings: a launcher that must build first (./din4j after an edit) does it
  # now, and an arm that cannot run fails here with its own line.
  bash -c "$spec \"\$@\"" _ --version >"$OUT/logs/version-$name.log" 2>&1 \
    || die "--arm $name: '$spec --version' failed: $(grep -v '^ *$' "$OUT/logs/version-$name.log" | tail -1)"
  NAMES+=("$name"); CMDS+=("$spec")
done

if [[ -z "$DATA" ]]; then
  DATA="$OUT/data/train.csv"
  if [[ ! -f "$DATA" ]]; then
    echo "$ME: generating $(( USERS * 20 )) training rows into $OUT/data" >&2
    bash -c "${CMDS[0]} \"\$@\"" _ generate --out "$OUT/data" --users "$USERS" --samples-per-user 25 >"$OUT/logs/generate.log" 2>&1 \
      || die "generating the data with arm ${NAMES[0]} failed (log: $OUT/logs/generate.log)"
  fi
fi

# One run: the command's stdout with seconds since its start before every line, stderr after it, in $log.
run_one() {  # round arm-index -> prints the TSV row
  local r=$1 i=$2 name=${NAMES[$2]} log
  log="$OUT/logs/r$1-${NAMES[$2]}.log"
  local load0 load1 utc t0 rc
  utc="$(date -u +%H:%M:%S)"; load0="$(cut -d' ' -f1 /proc/loadavg)"
  t0=$EPOCHREALTIME
  set +e
  bash -c "${CMDS[$i]} \"\$@\"" _ train --train "$DATA" --epochs "$EPOCHS" --out "$OUT/model-$name" "${TRAIN_FLAGS[@]}" \
      2>"$log.err" </dev/null | while IFS= read -r line; do
    local now=$EPOCHREALTIME d
    d=$(( ${now/./} - ${t0/./} ))
    printf '%d.%02d %s\n' $(( d / 1000000 )) $(( d % 1000000 / 10000 )) "$line"
  done >"$log"
  rc=${PIPESTATUS[0]}
  set -e
  load1="$(cut -d' ' -f1 /proc/loadavg)"
  cat "$log.err" >>"$log"; rm -f "$log.err"
  (( rc == 0 )) || die "round $r, arm $name: din4j train exited $rc: $(grep -v '^ *$' "$log" | tail -1) (log: $log)"
  awk -v r="$r" -v arm="$name" -v utc="$utc" -v l0="$load0" -v l1="$load1" -v E="$EPOCHS" -v logf="$log" '
    function med(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
      return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
    }
    / kernels warmed up for / {
      if (match($0, /warmed up for [0-9.]+ s/)) { s = substr($0, RSTART, RLENGTH); gsub(/[^0-9.]/, "", s); wu = s }
      if (match($0, /\([0-9]+ tiny and [0-9]+ full-size/)) { split(substr($0, RSTART + 1, RLENGTH - 1), w, " "); tiny = w[1]; full = w[4] }
      else if (match($0, /\([0-9]+ steps of/)) { split(substr($0, RSTART + 1, RLENGTH - 1), w, " "); full = w[1] }
      if (match($0, /; ended: [^)]*\)/)) ended = substr($0, RSTART + 9, RLENGTH - 10)
    }
    / epoch [0-9]+\/[0-9]+ .*\([0-9.]+ s, [0-9,]+ samples\/s\)$/ {
      match($0, / epoch [0-9]+\//); e = substr($0, RSTART + 7, RLENGTH - 8) + 0
      match($0, /\([0-9.]+ s, /); txt[e] = substr($0, RSTART + 1, RLENGTH - 5); sec[e] = txt[e] + 0
      # The ratio comes from the samples/s, which keep the precision that the seconds (0.1 s) lose on short epochs.
      match($0, /s, [0-9,]+ samples\/s\)$/); v = substr($0, RSTART + 3, RLENGTH - 15); gsub(/,/, "", v); rate[e] = v + 0
      if (e == 1) end1 = $1
      n = e > n ? e : n
    }
    END {
      if (n < E || !(1 in sec)) { print "ERROR\tthe output has " n " of " E " epoch lines (log: " logf ")"; exit }
      later = ""; for (k = 2; k <= n; k++) { b[k-1] = sec[k]; c[k-1] = rate[k]; later = later (k > 2 ? ", " : "") txt[k] }
      m = med(b, n - 1); mr = med(c, n - 1)
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%.2f\t%.2f\t%.1f\n", r, arm, utc, l0, l1,
        (wu == "" ? "-" : wu), (tiny == "" ? "-" : tiny), (full == "" ? "-" : full), (ended == "" ? "-" : ended),
        sec[1], later, m, mr / rate[1], end1
    }' "$log"
}

TSV="$OUT/runs.tsv"
printf 'round\tarm\tutc\tload_before\tload_after\twarmup_s\ttiny_steps\tfull_steps\twarmup_ended\tepoch1_s\tlater_s\tlater_median_s\tratio\tto_epoch1_end_s\n' >"$TSV"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), data $DATA, $EPOCHS epochs, flags: ${TRAIN_FLAGS[*]}"
for i in "${!NAMES[@]}"; do echo "# arm ${NAMES[$i]}: ${CMDS[$i]}"; done
echo "| round | arm | UTC | load | warm-up (tiny + full steps; ended) | epoch 1 | epochs 2–$EPOCHS | median 2–$EPOCHS | ratio | to epoch 1's end |"
echo "|---|---|---|---|---|---|---|---|---|---|"
n=${#NAMES[@]}
for (( r = 1; r <= RUNS; r++ )); do
  for (( k = 0; k < n; k++ )); do
    i=$(( (k + r - 1) % n ))
    row="$(run_one "$r" "$i")"
    [[ "$row" != ERROR* ]] || die "round $r, arm ${NAMES[$i]}: ${row#ERROR	}"
    printf '%s\n' "$row" >>"$TSV"
    IFS=$'\t' read -r c_r c_arm c_utc c_l0 c_l1 c_wu c_tiny c_full c_end c_e1 c_later c_med c_ratio c_end1 <<<"$row"
    echo "| $c_r | $c_arm | $c_utc | $c_l0 / $c_l1 | $c_wu s ($c_tiny + $c_full; $c_end) | $c_e1 s | $c_later s | $c_med s | ${c_ratio}× | $c_end1 s |"
  done
done
echo
echo "| arm | runs | ratio: median (range) | within 1.3× | to epoch 1's end: median (range) |"
echo "|---|---|---|---|---|"
for name in "${NAMES[@]}"; do
  awk -F'\t' -v arm="$name" '
    function med(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
      return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
    }
    NR > 1 && $2 == arm { n++; q[n] = $13; t[n] = $14; ok += ($13 <= 1.3) }
    END { if (n) { mq = med(q, n); mt = med(t, n)
          printf "| %s | %d | %.2f× (%.2f–%.2f) | %d of %d | %.1f s (%.1f–%.1f) |\n", arm, n, mq, q[1], q[n], ok, n, mt, t[1], t[n] } }' "$TSV"
done
echo "$ME: logs, models and $TSV are in $OUT" >&2
