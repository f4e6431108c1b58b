#!/bin/sh
# A self-signed certificate for a first run (browsers will warn): deploy/nginx/certs/fullchain.pem
# and privkey.pem, which nginx reads. Replace them with real ones (certbot, docs/operations.md).
# Usage: make-self-signed-cert.sh [DOMAIN] [DIR]    (default: $BUL_DOMAIN or localhost; ./certs)
set -eu
domain="${1:-${BUL_DOMAIN:-localhost}}"
dir="${2:-$(dirname "$0")/certs}"
mkdir -p "$dir"
if [ -s "$dir/fullchain.pem" ] && [ -z "${FORCE:-}" ]; then
  echo "$dir/fullchain.pem exists (FORCE=1 to replace it)"
  exit 0
fi
openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 30 \
  -subj "/CN=$domain" \
  -addext "subjectAltName=DNS:$domain,DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" 2>/dev/null
chmod 644 "$dir/fullchain.pem"
chmod 600 "$dir/privkey.pem"
echo "self-signed certificate for $domain (30 days) in $dir"
