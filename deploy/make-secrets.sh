#!/bin/sh
# Creates the secret files deploy/compose.yaml reads (deploy/secrets/), each random, once: a file
# that exists is kept (re-running never changes a password the database or Redis already has).
# The directory is 0700 (the host's other users cannot reach the files); the files are 0444 because
# compose bind-mounts them with the host's permissions and the containers run as other users.
set -eu
dir="${1:-$(dirname "$0")/secrets}"
mkdir -p "$dir"
chmod 700 "$dir"
umask 022

rand() { openssl rand -base64 48 | tr -d '/+=\n' | cut -c1-"$1"; }
put() { # name value
  if [ -s "$dir/$1" ]; then echo "kept    $dir/$1"; return; fi
  printf '%s\n' "$2" > "$dir/$1"
  chmod 444 "$dir/$1"
  echo "created $dir/$1"
}

put postgres_password "$(rand 32)"
put redis_password "$(rand 32)"
# The owner connection BUL migrates with (POSTGRES_USER bul of compose.yaml's postgres service);
# BUL creates and uses the application role bul_app itself (password derived from the master key).
put database_url "postgres://bul:$(tr -d '\n' < "$dir/postgres_password")@postgres:5432/bul"
put redis_url "redis://:$(tr -d '\n' < "$dir/redis_password")@redis:6379/0"
# 32 random bytes, base64: encrypts BUL's secrets at rest. Keep a copy apart from the backups.
put master_key "$(openssl rand -base64 32)"
put metrics_token "$(rand 40)"
put grafana_admin_password "$(rand 24)"
