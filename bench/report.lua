-- wrk reporting script: one JSON line with the counts and latency percentiles the bench needs.
-- Latencies are in microseconds; wrk itself prints p50/p75/p90/p99 only, the bench wants p95.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max))
end
