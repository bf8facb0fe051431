#!/usr/bin/env bash
# Build the docs site and screenshot one page with headless Chromium, to look at it the way a
# reader would (tables, code blocks, navigation), not only as Markdown that happens to build.
#
#   scripts/screenshot_docs.sh [PAGE] [OUT.png] [WIDTHxHEIGHT]
#   scripts/screenshot_docs.sh sessions /tmp/sessions.png 1280x6000
#
# PAGE is the page's path in the site without .md (default: sessions). Needs mkdocs (the dev
# extra) and Chromium (Debian: apt-get install chromium). Serves the built site over loopback
# HTTP, because mkdocs' theme loads its assets relative to the page and file:// URLs make
# Chromium block some of them.
set -euo pipefail
cd "$(dirname "$0")/.."

page="${1:-sessions}"
out="${2:-/tmp/composio-docs-${page//\//-}.png}"
size="${3:-1280x6000}"
site="$(mktemp -d)"
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$site"' EXIT

browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$browser" ]; then
    echo "no Chromium found: apt-get install -y chromium (Debian) or set PATH" >&2
    exit 2
fi

mkdocs build --strict --quiet --site-dir "$site"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do  # wait until it accepts connections (bounded: 5 s)
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null && break
    sleep 0.1
done

"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size="${size/x/,}" --screenshot="$out" \
    "http://127.0.0.1:$port/$page/" 2>/dev/null
echo "$out"
