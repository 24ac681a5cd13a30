-- Sign POSTs for wrk (bench/load.py): unique e-mails with a share of repeats,
-- each request from its own client address in X-Forwarded-For, as a proxy sends.
-- Globals (not locals) so done() can read them from each thread.
counter = 0
codes = {}
local threads = {}
local run = os.getenv("RUN_ID")
local path = os.getenv("SIGN_PATH")
local csrf = os.getenv("CSRF_TOKEN")
local cookie = "csrftoken=" .. os.getenv("CSRF_COOKIE")
local repeat_every = tonumber(os.getenv("REPEAT_EVERY"))
local nthreads = tonumber(os.getenv("WRK_THREADS"))
-- A form stamp of its own for each request (signatories/abuse.py spends each once):
-- thread t takes the t-th, then every nthreads-th line of the file.
local stamps = {}
for line in io.lines(os.getenv("STAMPS_FILE")) do stamps[#stamps + 1] = line end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local n = counter
  if repeat_every > 0 and n > repeat_every and n % repeat_every == 0 then
    n = n - repeat_every + 1 -- an address this thread sent a moment ago, in capitals
  end
  local email = string.format("load-%s-%d-%d@example.net", run, tid, n)
  if n ~= counter then email = string.upper(email) end
  -- 10.<run>.<thread>.x would run out; spread over 10.0.0.0/8 by thread and count.
  local ip = string.format("10.%d.%d.%d", tid * 16 + math.floor(counter / 62500) % 16,
    math.floor(counter / 250) % 250, counter % 250 + 1)
  local body = "csrfmiddlewaretoken=" .. csrf
    .. "&name=" .. urlencode(string.format("Signer %d Қанатов", n))
    .. "&affiliation=" .. urlencode("member of Unite, personal capacity")
    .. "&email=" .. urlencode(email)
    .. "&kind=individual&display=full&website=&rendered="
    .. urlencode(stamps[((counter - 1) * nthreads + tid) % #stamps + 1])
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
    ["X-Forwarded-For"] = ip,
  }, body)
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
  local out = {}
  for _, thread in ipairs(threads) do
    local parts = {}
    for code, count in pairs(thread:get("codes")) do
      table.insert(parts, string.format('"%d": %d', code, count))
    end
    table.insert(out, string.format('{"tid": %d, "generated": %d, "codes": {%s}}',
      thread:get("tid"), thread:get("counter"), table.concat(parts, ", ")))
  end
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "threads": [%s]}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), table.concat(out, ", ")))
end
