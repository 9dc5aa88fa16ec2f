#!/bin/sh
# Example "training" task: fits a trivial model (the mean and range of the numbers) to the dataset.
set -eu
echo "train: reading $(ls /in/dataset | wc -l) file(s) from /in/dataset"
cat /in/dataset/*.csv | awk -F, 'NR > 1 { n++; s += $2; if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 }
  END { printf "mean=%.3f\nmin=%s\nmax=%s\nsamples=%d\n", s / n, min, max, n }' > /out/model/model.txt
echo "train: model written:"
cat /out/model/model.txt
