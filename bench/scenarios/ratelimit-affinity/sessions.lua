-- 1000 sessions, each with a fixed cookie, in turn: after the first run every key is pinned, so
-- the edge serves from its affinity cache (the steady state).
local i = 0
request = function()
  i = (i + 1) % 1000
  wrk.headers["Cookie"] = "bench-session=s" .. i
  return wrk.format()
end
