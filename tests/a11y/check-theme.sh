#!/bin/sh
# Gate for one theme of a generated site: page budget, HTML validity, and every page in Chromium
# (axe-run.mjs: axe-core in light and dark, reflow at 320 px, 200 % text at 320 and 375 px, chart labels
# inside their charts, no figure broken across lines at 320/375 px and 100/200 % text, and for the phone
# theme 44 px tap targets), each page loaded once.
# Usage: ./check-theme.sh default|wechat <site-dir> [budget|html|browser ...]   (exit non-zero on any failure)
#   The steps to run (default: all three). The desktop theme's folder holds the phone theme's pages
#   in m/: they are checked by the wechat run, not by the default one.
#   SHOTS=<dir> keeps a full-page PNG of every page, light and dark.
set -u; theme=$1; dir=${2%/}; shift 2; here=$(cd "$(dirname "$0")" && pwd); rc=0
steps=${*:-budget html browser}
shots=${SHOTS:+--shots=$SHOTS}
case "$theme" in
  default) skip=m; budget='--js-kb=8 --html-kb=100 --css-kb=16 --page-kb=150'
           browser='--min-font=14' ;;
  # --wide: the phone pages also at 1280 px, as WeChat on a desktop computer opens them; --tap: the
  # phone theme is read by elderly readers, so every link outside running text gets a 44 px hit area
  wechat)  skip=; budget='--js-kb=8 --wechat --html-kb=60 --css-kb=10 --page-kb=100'
           browser='--mobile --ua=wechat-android --wide --min-font=16 --tap=44' ;;
  *) echo "theme must be default or wechat" >&2; exit 2 ;;
esac
run() { printf '\n== %s\n' "$*"; s=$(date +%s); "$@" || rc=1; printf '== %s s\n' "$(( $(date +%s) - s ))"; }
for step in $steps; do
  case "$step" in
    # shellcheck disable=SC2086
    budget) run node "$here/budget.mjs" $budget --skip="$skip" "$dir" ;;
    # every page and stylesheet of the theme in one run of the checker
    html) run find "$dir" -path "$dir/$skip" -prune -o -type f \( -name '*.html' -o -name '*.css' \) \
            -exec "$here/vnu.sh" --also-check-css {} + ;;
    # shellcheck disable=SC2086
    browser) run node "$here/axe-run.mjs" $browser --dark --sample --reflow --text-zoom=2 --wrap --skip="$skip" $shots "$dir" ;;
    *) echo "unknown step $step (budget, html or browser)" >&2; exit 2 ;;
  esac
done
exit $rc
