#!/bin/sh
# Copied from the team's reference gate; kept here so the project pins its own versions. Adds wrap.mjs:
# no figure in a table cell may wrap across lines at 320/375 px and 100/200 % text.
# Gate for a generated site directory: page budget, HTML validity, axe-core accessibility in Chromium.
# Usage: ./check-theme.sh default|wechat <site-dir>      (exit non-zero on any failure)
# Screenshots of the mobile pages go to $SHOTS (default: a temporary folder, printed at the end).
set -u; theme=$1; dir=$2; here=$(cd "$(dirname "$0")" && pwd); rc=0
shots=${SHOTS:-$(mktemp -d)}
run() { printf '\n== %s\n' "$*"; "$@" || rc=1; }
case "$theme" in
  default)
    run node "$here/budget.mjs" --js-kb=8 --html-kb=100 --css-kb=16 --page-kb=150 "$dir"
    run "$here/vnu.sh" --also-check-css "$dir"
    run node "$here/axe-run.mjs" --reflow --text-zoom=2 --min-font=14 "$dir"
    run node "$here/axe-run.mjs" --dark "$dir"
    run node "$here/wrap.mjs" "$dir" ;;
  wechat)
    run node "$here/budget.mjs" --js-kb=8 --wechat --html-kb=60 --css-kb=10 --page-kb=100 "$dir"
    run "$here/vnu.sh" --also-check-css "$dir"
    run node "$here/axe-run.mjs" --mobile --ua=wechat-android --reflow --text-zoom=2 --min-font=16 --shots="$shots" "$dir"
    run node "$here/axe-run.mjs" --mobile --ua=wechat-ios --dark "$dir"
    run node "$here/wrap.mjs" --mobile "$dir" ;;
  *) echo "theme must be default or wechat" >&2; exit 2 ;;
esac
[ "$theme" = wechat ] && echo "screenshots: $shots"
exit $rc
