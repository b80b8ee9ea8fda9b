#!/usr/bin/env bash
# Real-data protocol (docs/models.md): public-format samples -> din4j prepare amazon / taobao -> BaseModel and DIN
# trained with default flags -> test AUC of each, once.
#   tools/real_data_protocol.sh [OUT_DIR] [users] [seed]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-/tmp/din4j-protocol}"; USERS="${2:-3000}"; SEED="${3:-7}"
D="${DIN4J:-$ROOT/din4j}"   # DIN4J: another way to run the tool (e.g. java -jar a copy of the jar)
rm -rf "$OUT"; mkdir -p "$OUT"
python3 "$ROOT/tools/public_samples.py" "$OUT/raw" "$USERS" "$SEED"
$D prepare amazon --reviews "$OUT/raw/amazon/reviews_Sample_5.json.gz" --meta "$OUT/raw/amazon/meta_Sample.json.gz" --out "$OUT/amazon"
$D prepare taobao --input "$OUT/raw/taobao/UserBehavior.csv" --samples-per-user 10 --out "$OUT/taobao"
echo "| data | model | test AUC | test GAUC |"
echo "|---|---|---|---|"
for data in amazon taobao; do
  for model in base din; do
    $D train --train "$OUT/$data/train.csv" --model "$model" --out "$OUT/models/$data-$model" --no-report >&2
    $D eval --model "$OUT/models/$data-$model" --data "$OUT/$data/test.csv" --json \
      | python3 -c "import json,sys; t=json.load(sys.stdin)['tasks']['label']; print('| $data | $model | %.4f | %s |' % (t['auc'], 'n/a' if t['gauc'] is None else '%.4f' % t['gauc']))"
  done
done
