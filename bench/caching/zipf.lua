-- Zipf (s = 1) over N URLs under a path prefix: rank k is asked with probability proportional to 1/k.
-- wrk -s zipf.lua http://host:port/prefix   (N from the environment variable ZIPF_URLS, default 10000)
local n = tonumber(os.getenv("ZIPF_URLS") or "10000")
local cdf = {}
local prefix

function init(args)
  local total = 0
  for k = 1, n do total = total + 1 / k end
  local acc = 0
  for k = 1, n do
    acc = acc + (1 / k) / total
    cdf[k] = acc
  end
  prefix = wrk.path
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

local function rank()
  local u = math.random()
  local lo, hi = 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end

function request()
  return wrk.format("GET", prefix .. "/" .. rank())
end
