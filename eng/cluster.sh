#!/usr/bin/env bash
# A cluster on this machine: redis-server, the standalone sandbox, three hosts and nginx in front, all on 127.0.0.1.
#   eng/cluster.sh            # then open http://127.0.0.1:8080, Ctrl-C stops everything it started
# Needs Debian's redis-server and nginx. Data (Redis's append-only file, each host's folder) goes to data/cluster/.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
data="$root/data/cluster"
hosts=(5081 5082 5083)
redis_port="${REDIS_PORT:-6379}"
pids=()

stop() {
  trap '' INT TERM # a second Ctrl-C does not cut the stop short: the hosts drain their jobs and exit
  trap - EXIT
  echo
  echo "Stopping ${#pids[@]} processes..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "Stopped."
}
trap stop INT TERM EXIT

for tool in redis-server nginx dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install redis-server nginx)" >&2; exit 1; }
done

dotnet build Pipeline.sln --nologo -v quiet
mkdir -p "$data/redis" "$data/nginx/tmp"

redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$data/redis" --save "" --appendonly yes --appendfsync everysec \
  --logfile "$data/redis.log" &
pids+=($!)

dotnet Pipeline.Sandbox/bin/Debug/net10.0/Pipeline.Sandbox.dll --contentRoot "$root/Pipeline.Sandbox" --urls http://127.0.0.1:5090 \
  >"$data/sandbox.log" 2>&1 &
pids+=($!)

host_pids=()
for port in "${hosts[@]}"; do
  Pipeline__Cluster__Redis="127.0.0.1:$redis_port" Pipeline__Cluster__ExpectedHosts=${#hosts[@]} \
  Pipeline__Upstreams__SandboxUrl=http://127.0.0.1:5090/ Pipeline__Storage__Directory="$data/host-$port" \
    dotnet Pipeline.Host/bin/Debug/net10.0/Pipeline.Host.dll --contentRoot "$root/Pipeline.Host" --urls "http://127.0.0.1:$port" \
    >"$data/host-$port.log" 2>&1 &
  pids+=($!)
  host_pids+=("$port=pid $!")
done

nginx -p "$data/nginx" -c "$root/config/nginx.conf" 2>"$data/nginx.log" &
pids+=($!)

for port in "${hosts[@]}"; do
  for _ in $(seq 1 60); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
  done
done

for pid in "${pids[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "A process exited at start (a port in use?); see the logs in $data." >&2; exit 1; }
done

echo "Cluster up: http://127.0.0.1:8080 (hosts ${hosts[*]}, Redis 127.0.0.1:$redis_port, sandbox 127.0.0.1:5090)"
echo "Logs in $data. Ctrl-C stops everything."
echo "Hosts: ${host_pids[*]}. Kill one (kill -9 <pid>) to watch its jobs go on on the others."
wait || true # until Ctrl-C: a host that dies leaves the others running
