-- wrk script for `make soak`: a mix of fresh renders (a distinct name each
-- time), hot repeats, 304s and bad requests, counted by status per thread and
-- summed in done(). MONOGRAM_SOAK_HOT holds "path etag" pairs separated by
-- ";" (fetched by soak.py before the load starts).

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  n = 0
  hot = {}
  for pair in string.gmatch(os.getenv("MONOGRAM_SOAK_HOT") or "", "[^;]+") do
    local path, etag = string.match(pair, "^(%S+) (.+)$")
    table.insert(hot, { path = path, etag = etag })
  end
end

local bad = {
  "/avatar/%zz",
  "/avatar/Ada?size=big",
  "/avatar/Ada?size=1&size=2",
  "/avatar/" .. string.rep("a", 300),
  "/avatar/a/b",
  "/avatar/%C0%AF",
}

function request()
  n = n + 1
  local k = n % 20
  local h = hot[(n % #hot) + 1]
  if k < 8 then      -- 40%: a name never asked before, a size from 16 to 256
    return wrk.format("GET", string.format("/avatar/soak-%d-%d?size=%d", id, n, 16 + (n * 37) % 241))
  elseif k < 14 then -- 30%: hot avatars
    return wrk.format("GET", h.path)
  elseif k < 17 then -- 15%: revalidations that match
    return wrk.format("GET", h.path, { ["If-None-Match"] = h.etag })
  elseif k < 19 then -- 10%: bad input
    return wrk.format("GET", bad[(n % #bad) + 1])
  else               -- 5%: wrong method
    return wrk.format("POST", h.path, { ["Content-Length"] = "0" })
  end
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, c in pairs(t:get("counts")) do
      total[status] = (total[status] or 0) + c
    end
  end
  for status, c in pairs(total) do
    io.write(string.format("SOAK status %d %d\n", status, c))
  end
  local e = summary.errors
  io.write(string.format("SOAK requests %d\n", summary.requests))
  io.write(string.format("SOAK duration_us %d\n", summary.duration))
  io.write(string.format("SOAK socket_errors connect=%d read=%d write=%d timeout=%d\n",
    e.connect, e.read, e.write, e.timeout))
  io.write(string.format("SOAK latency_p99_us %d\n", latency:percentile(99)))
end
