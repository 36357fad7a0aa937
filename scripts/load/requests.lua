-- wrk script: GET the URL's path. With a token file after `--` (one token a line), each request
-- carries the next token in X-Forwarded-Access-Token, cycling through the file. Without one, no
-- token header is sent. Both modes build every request in Lua, so the client does about the same
-- work per request in both runs.
--
-- At the end it prints one line for scripts/load-test.sh to parse:
--   wrk-result requests=N rps=R p50_us=.. p90_us=.. p99_us=.. max_us=.. http_errors=N socket_errors=N

local tokens = {}
local next_token = 1

function init(args)
  local path = args[1]
  if path == nil then
    return
  end
  for line in io.lines(path) do
    if line ~= "" then
      tokens[#tokens + 1] = line
    end
  end
  if #tokens == 0 then
    error("the token file " .. path .. " contains no tokens")
  end
end

function request()
  if #tokens == 0 then
    return wrk.format("GET")
  end
  local token = tokens[next_token]
  next_token = next_token % #tokens + 1
  return wrk.format("GET", nil, { ["X-Forwarded-Access-Token"] = token })
end

function done(summary, latency, requests)
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format(
    "wrk-result requests=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d http_errors=%d socket_errors=%d\n",
    summary.requests,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50),
    latency:percentile(90),
    latency:percentile(99),
    latency.max,
    errors.status,
    socket_errors
  ))
end
