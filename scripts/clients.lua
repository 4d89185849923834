-- Spreads wrk's requests over many client addresses, as a popular counter
-- is read by many browsers: each request claims one of 50,000 addresses in
-- X-Forwarded-For (believed because the server trusts 127.0.0.1 as its
-- proxy), so the per-client rate limit is exercised without refusing.
local n = 0
request = function()
  n = n + 1
  local i = n % 50000
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256)
  return wrk.format(nil)
end
