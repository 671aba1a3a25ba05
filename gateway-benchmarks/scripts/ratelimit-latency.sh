#!/usr/bin/env bash
# Added latency of the rate limiter: the standalone gateway (demo backend on :18048, gateway on
# :18000) with the limiter off, in memory and on Redis (127.0.0.1:6379, must be running), each
# measured by the load driver in --external mode. The limit is high enough that every request
# passes; every request comes from 127.0.0.1, so they all hit one key (the hot-key case).
# Build first: ./mvnw -q -B -pl gateway-examples,gateway-benchmarks -am package -DskipTests
set -u
cd "$(dirname "$0")/../.."
DEMO_PORT=18048 java -cp gateway-examples/target/tollgate-standalone.jar dev.tollgate.examples.demo.DemoBackend > /dev/null 2>&1 &
DEMO=$!
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/18048) 2>/dev/null && break; sleep 0.3; done
for mode in off local redis; do
  extra=()
  case $mode in
    off) extra=(RATE_LIMIT_ENABLED=false) ;;
    redis) extra=(REDIS_URL=127.0.0.1:6379) ;;
  esac
  env GATEWAY_PORT=18000 GATEWAY_HOST=127.0.0.1 GATEWAY_BACKEND_TARGET=http://127.0.0.1:18048 \
      RATE_LIMIT_REQUESTS_PER_SECOND=1000000 RATE_LIMIT_BURST=1000000 LOG_LEVEL=WARN "${extra[@]}" \
      java -jar gateway-examples/target/tollgate-standalone.jar > /dev/null 2>&1 &
  GW=$!
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/18000) 2>/dev/null && break; sleep 0.3; done
  echo "=== $mode"
  java -cp gateway-benchmarks/target/benchmarks.jar dev.tollgate.benchmarks.load.LoadDriver \
      --external=http://127.0.0.1:18000 --path=/hello --duration=6 --warmup=2 --rounds=3 --rate=500 --connections=16
  kill $GW; wait $GW 2>/dev/null
done
kill $DEMO
wait $DEMO 2>/dev/null
