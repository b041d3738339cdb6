-- wrk script of the ingest benchmark (bench/ingest.ts): sends pre-built, pre-signed webhook requests,
-- each exactly once, and writes every response's status and body to a file for the archive check.
--
--   wrk -t1 -c C -d Ss -s bench/wrk-webhooks.lua http://127.0.0.1:PORT -- REQUESTS RESPONSES
--
-- REQUESTS holds records "<byte length>\n<raw HTTP/1.1 request>", written by bench/ingest.ts.
-- init() says on stderr when the requests are loaded (wrk starts its clock then); done() prints one line of JSON: wrk's own counts and latency (µs), and the CPU seconds wrk used
-- while sending (after loading the file).

local requests, count, sent = {}, 0, 0
local out
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  while true do
    local len = f:read("*l")
    if not len then break end
    count = count + 1
    requests[count] = f:read(tonumber(len))
  end
  f:close()
  out = assert(io.open(args[2], "wb"))
  -- Globals, read by done() through thread:get().
  loaded = count
  loadCpu = os.clock()
  -- stderr is unbuffered: the runner starts measuring the server here (wrk's stdout reaches it only at exit).
  io.stderr:write("wrk-webhooks: loaded ", count, " requests\n")
end

function request()
  sent = sent + 1
  -- Past the end the file starts over: the runner then sees more answers than distinct requests and rejects the run.
  return requests[(sent - 1) % count + 1]
end

function response(status, headers, body)
  out:write(status, " ", body, "\n")
end

function done(summary, latency, requests)
  local loadCpu, loaded = 0, 0
  for _, t in ipairs(threads) do
    loadCpu = math.max(loadCpu, t:get("loadCpu"))
    loaded = loaded + t:get("loaded")
  end
  local e = summary.errors
  io.write(string.format(
    '{"durationUs":%d,"requests":%d,"loaded":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f},"cpuSeconds":%.3f}\n',
    summary.duration, summary.requests, loaded, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
    os.clock() - loadCpu))
end
