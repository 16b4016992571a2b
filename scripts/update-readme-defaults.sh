#!/usr/bin/env bash
# Rewrites the configuration reference in README.md from the program's own
# defaults (`bridge check-config --print-defaults`). The config package's
# readme test fails when the two differ.
set -euo pipefail
cd "$(dirname "$0")/.."
defaults=$(go run ./bridge check-config --print-defaults)
python3 - "$defaults" <<'PY'
import sys
p = "README.md"
s = open(p).read()
b, e = s.index("<!-- defaults:begin -->"), s.index("<!-- defaults:end -->")
s = s[:b] + "<!-- defaults:begin -->\n```yaml\n" + sys.argv[1] + "\n```\n" + s[e:]
open(p, "w").write(s)
PY
