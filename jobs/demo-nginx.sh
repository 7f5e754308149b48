#!/usr/bin/env bash
# Starts (or stops) a throw-away nginx on 127.0.0.1 for the demo scans: two
# plain-HTTP sites of differing posture, on free high ports, writing
# DIR/targets.txt. Nothing listens beyond loopback.
#   jobs/demo-nginx.sh start DIR | stop DIR
set -euo pipefail
cmd=${1:?start|stop} dir=${2:?DIR}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
case "$cmd" in
start)
  [ -x "$nginx" ] || { echo "nginx is not installed"; exit 1; }
  mkdir -p "$dir/www/hardened" "$dir/www/open" "$dir/logs"
  echo '<!doctype html><title>hardened</title><p>ok' > "$dir/www/hardened/index.html"
  echo '<!doctype html><title>open</title><p>hello' > "$dir/www/open/index.html"
  echo 'DB_PASSWORD=demo-secret-value' > "$dir/www/open/.env"
  # Fixed ports when free, so repeated demo runs scan the same endpoints.
  port() { python3 -c 'import socket,sys
for p in (int(sys.argv[1]), 0):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(s.getsockname()[1]); break
    except OSError:
        pass' "$1"; }
  p1=$(port 18081); p2=$(port 18082)
  cat > "$dir/nginx.conf" <<CONF
daemon on;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $dir/tmp_body; proxy_temp_path $dir/tmp_proxy;
  fastcgi_temp_path $dir/tmp_fcgi; uwsgi_temp_path $dir/tmp_uwsgi; scgi_temp_path $dir/tmp_scgi;
  server {
    listen 127.0.0.1:$p1;
    root $dir/www/hardened;
    server_tokens off;
    add_header Content-Security-Policy "default-src 'none'; frame-ancestors 'none'" always;
    add_header X-Content-Type-Options nosniff always;
    add_header X-Frame-Options DENY always;
    add_header Referrer-Policy no-referrer always;
    add_header Cross-Origin-Opener-Policy same-origin always;
    location / { try_files \$uri \$uri/ =404; }
  }
  server {
    listen 127.0.0.1:$p2;
    root $dir/www/open;
    location / { try_files \$uri \$uri/ =404; }
  }
}
CONF
  "$nginx" -c "$dir/nginx.conf" -p "$dir" 2>"$dir/logs/start.log" || { cat "$dir/logs/start.log"; exit 1; }
  printf 'http://127.0.0.1:%s/\nhttp://127.0.0.1:%s/\n' "$p1" "$p2" > "$dir/targets.txt"
  ;;
stop)
  [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
  ;;
esac
