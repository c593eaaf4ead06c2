-- Every request a URL never asked before: a cache miss each time.
-- wrk -s miss.lua http://host:port/prefix
local counter = 0
local id

function init(args)
  id = tostring(math.random(1, 1e9)) .. tostring({}):sub(8)
end

function request()
  counter = counter + 1
  return wrk.format("GET", wrk.path .. "/" .. id .. "-" .. counter)
end
