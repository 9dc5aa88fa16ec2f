#!/bin/sh
# Example "validation" task: scores the model against the validation rule (every sample within range).
set -eu
echo "validate: model is"
cat /in/model/model.txt
mean=$(sed -n 's/^mean=//p' /in/model/model.txt)
samples=$(sed -n 's/^samples=//p' /in/model/model.txt)
printf 'accuracy=%s\nmean=%s\nsamples=%s\n' "$(awk -v m="$mean" 'BEGIN { print (m > 0) ? "1.00" : "0.00" }')" "$mean" "$samples" > /out/metrics/metrics.txt
echo "validate: metrics written:" >&2
cat /out/metrics/metrics.txt >&2
