-- GETs for wrk (bench/load.py, bench/letter_page.py): the same summary line as sign.lua.
function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "threads": []}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
