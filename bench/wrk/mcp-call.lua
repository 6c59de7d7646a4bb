-- wrk script of bench/lib.mjs: POSTs BENCH_BODY (a JSON-RPC request; "__ID__" replaced by a fresh id, since
-- connections share one MCP session) with the JSON object of headers BENCH_HEADERS, and counts every answer
-- that is not a 2xx carrying a result with BENCH_EXPECT in it. done() prints one BENCH_RESULT line.
local body = os.getenv("BENCH_BODY")
local expect = os.getenv("BENCH_EXPECT")
local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json, text/event-stream" }
for k, v in string.gmatch(os.getenv("BENCH_HEADERS"), '"([^"]+)":"([^"]*)"') do headers[k] = v end

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  ok, non2xx, rpc_errors, seq = 0, 0, 0, 0
end

function request()
  seq = seq + 1
  return wrk.format("POST", nil, headers, (string.gsub(body, "__ID__", tostring(tid * 100000000 + seq))))
end

function response(status, hdrs, resp)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif string.find(resp, '"error":', 1, true) or not string.find(resp, expect, 1, true) then
    rpc_errors = rpc_errors + 1
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local o, n, e = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    n = n + t:get("non2xx")
    e = e + t:get("rpc_errors")
  end
  local s = summary.errors
  io.write(string.format("BENCH_RESULT ok=%d non2xx=%d rpc_errors=%d requests=%d duration_us=%d p50_us=%d p99_us=%d socket_errors=%d\n",
    o, n, e, summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), s.connect + s.read + s.write + s.timeout))
end
