-- wrk script for bench/api.py. Environment:
--   BENCH_LINES  file with one value a line: a bearer token, an email (login) or an id (pk)
--   BENCH_KIND   get | revalidate | sync | checkin | message | login | pk
--                (revalidate: a GET with If-None-Match "1", every seeded plan's version;
--                sync: each line is "token cursor", sent as ?since=cursor)
--   BENCH_PATH   the request path (for pk, the prefix the id is appended to)
--   BENCH_NONCE  makes check-in client_refs unique across runs
--   BENCH_PASSWORD  the password every seeded account shares (login)
-- Each thread starts at its own offset in the file and walks it in turn; done() prints one
-- JSON line that bench/api.py reads.

local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  lines = {}
  for line in io.lines(os.getenv("BENCH_LINES")) do
    if line ~= "" then
      lines[#lines + 1] = line
    end
  end
  kind = os.getenv("BENCH_KIND") or "get"
  path = os.getenv("BENCH_PATH") or "/"
  nonce = os.getenv("BENCH_NONCE") or "0"
  password = os.getenv("BENCH_PASSWORD") or ""
  index = (tid * 7919) % #lines
  counter = 0
end

function request()
  index = index % #lines + 1
  counter = counter + 1
  local value = lines[index]
  if kind == "get" then
    return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. value })
  elseif kind == "revalidate" then
    return wrk.format("GET", path, {
      ["Authorization"] = "Bearer " .. value,
      ["If-None-Match"] = '"1"',
    })
  elseif kind == "sync" then
    local token, cursor = value:match("^(%S+) (%S+)$")
    return wrk.format("GET", path .. "?since=" .. cursor, { ["Authorization"] = "Bearer " .. token })
  elseif kind == "message" then
    local body = '{"client_ref":"m' .. nonce .. "-" .. tid .. "-" .. counter ..
      '","body":"Can we talk later today?"}'
    return wrk.format("POST", path, {
      ["Authorization"] = "Bearer " .. value,
      ["Content-Type"] = "application/json",
    }, body)
  elseif kind == "pk" then
    return wrk.format("GET", path .. value)
  elseif kind == "login" then
    local body = '{"email":"' .. value .. '","password":"' .. password .. '"}'
    return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
  else
    local body = '{"client_ref":"b' .. nonce .. "-" .. tid .. "-" .. counter ..
      '","mood":3,"feeling_safe":true,"needs_help":false}'
    return wrk.format("POST", path, {
      ["Authorization"] = "Bearer " .. value,
      ["Content-Type"] = "application/json",
    }, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
