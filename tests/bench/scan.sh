#!/usr/bin/env bash
# scan-endpoint benchmark: 1,000 virtual hosts on a loopback nginx with a
# throw-away CA, every check on (headers, TLS with legacy probes, exposure
# paths, soft-404), results stored; then one endpoint alone. Goals: 1,000
# endpoints < 10 s at the default concurrency; one endpoint < 100 ms plus
# network time. Nothing leaves loopback.
set -euo pipefail
bin=${OPSKIT_BIN:?set OPSKIT_BIN to the build/bin directory}
n=${SCAN_BENCH_HOSTS:-1000}
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "scan bench: nginx not installed; skipping"; exit 0; }
tmp=$(mktemp -d)
nginx_pid=""
cleanup() { [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp"
export TZ=UTC LC_ALL=C

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 \
  -subj /CN=opskit-bench-ca 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout site.key -out site.csr \
  -subj /CN=bench.test 2>/dev/null
printf 'subjectAltName=DNS:*.bench.test\n' > ext.cnf
openssl x509 -req -in site.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out site.crt 2>/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
  echo "pid $tmp/nginx.pid; error_log $tmp/error.log; worker_processes auto; worker_rlimit_nofile 16384;"
  echo "events { worker_connections 8192; }"
  echo "http { access_log off; client_body_temp_path $tmp/b; proxy_temp_path $tmp/p; fastcgi_temp_path $tmp/f;"
  echo "  uwsgi_temp_path $tmp/u; scgi_temp_path $tmp/s; ssl_protocols TLSv1.2 TLSv1.3;"
  echo "  ssl_certificate $tmp/site.crt; ssl_certificate_key $tmp/site.key; ssl_session_cache shared:S:10m;"
  for i in $(seq 1 "$n"); do
    if [ $((i % 2)) = 0 ]; then
      h='add_header Strict-Transport-Security "max-age=31536000" always; add_header X-Content-Type-Options nosniff always;'
    else
      h='add_header X-Frame-Options DENY always;'
    fi
    echo "  server { listen 127.0.0.1:$port ssl; server_name v$i.bench.test; $h location / { return 200 '<html>v$i</html>'; } location = /.env { return 404; } }"
  done
  echo "}"
} > nginx.conf
/usr/sbin/nginx -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

: > targets.txt
resolve=()
for i in $(seq 1 "$n"); do
  echo "https://v$i.bench.test:$port/" >> targets.txt
  resolve+=(--resolve "v$i.bench.test:$port:127.0.0.1")
done
db=$tmp/bench.db
"$bin/opskit" --db "$db" --quiet db migrate
"$bin/opskit" --db "$db" --quiet tenant add bench --name Bench
common=(--db "$db" --tenant bench --quiet)
"$bin/scan-endpoint" allow add '*.bench.test' "${common[@]}"

cmd="scan-endpoint url --targets targets.txt --ca-file ca.crt --resolve ... (x$n) --format json"
# CPU seconds of the scanner process (user + sys) next to the wall time: on
# a shared machine the wall time mostly measures the other load.
cpu=()
[ -x /usr/bin/time ] && cpu=(/usr/bin/time -f "%U %S" -o "$tmp/cpu.txt")
start=$(date +%s.%N)
${SCAN_BENCH_WRAP:-} "${cpu[@]}" "$bin/scan-endpoint" url --targets targets.txt --ca-file ca.crt "${resolve[@]}" ${SCAN_BENCH_FLAGS:-} --format json "${common[@]}" > out.jsonl || true
end=$(date +%s.%N)
ok=$(grep -c '"status":"ok"' out.jsonl || true)
secs=$(python3 -c "print(f'{$end - $start:.2f}')")
cpus=$( [ -s "$tmp/cpu.txt" ] && awk '{printf "%.2f", $1 + $2}' "$tmp/cpu.txt" || echo "?")
echo "$n endpoints, full checks, stored (goal < 10 s): ${secs} s wall, ${cpus} s CPU (user+sys), $ok ok   [$cmd]"

cmd1="scan-endpoint url https://v1.bench.test:$port/ --ca-file ca.crt --resolve v1.bench.test:$port:127.0.0.1 --dry-run"
start=$(date +%s.%N)
"$bin/scan-endpoint" url "https://v1.bench.test:$port/" --ca-file ca.crt --resolve "v1.bench.test:$port:127.0.0.1" \
  --dry-run --format json "${common[@]}" > one.json || true
end=$(date +%s.%N)
ms=$(python3 -c "print(int(($end - $start) * 1000))")
echo "one endpoint, full checks incl. process start (goal < 100 ms + network): ${ms} ms   [$cmd1]"

cmdg="scan-endpoint grade resp.txt"
printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html></html>' > resp.txt
start=$(date +%s.%N)
for _ in $(seq 1 20); do "$bin/scan-endpoint" grade resp.txt > /dev/null; done
end=$(date +%s.%N)
echo "offline grade of a recorded response: $(python3 -c "print(int(($end - $start) * 1000 / 20))") ms per run   [$cmdg]"
