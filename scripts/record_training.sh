#!/usr/bin/env bash
# Click Train with a real mouse event and screenshot every second (see record_training.py).
set -euo pipefail
export NC_REC="${NC_REC:-/tmp/nc_rec}" NC_REC_SECONDS="${NC_REC_SECONDS:-40}"
SHOTS="${SHOTS:-$NC_REC/shots}"
rm -rf "$NC_REC"; mkdir -p "$NC_REC" "$SHOTS"
python "$(dirname "$0")/record_training.py" &
app=$!
while [ ! -f "$NC_REC/train_xy" ]; do sleep 0.2; done
read -r x y < "$NC_REC/train_xy"
import -window root "$SHOTS/00-before.png"
xdotool mousemove "$x" "$y" click 1
for i in $(seq -w 1 $((NC_REC_SECONDS - 8))); do
  sleep 1
  import -window root "$SHOTS/$i.png"
done
wait "$app"
