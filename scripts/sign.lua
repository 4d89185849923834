-- wrk script: every request signs the campaign with a new email address.
-- TOKEN, ORIGIN and SLUG come from the environment (see scripts/load).
local token = os.getenv("TOKEN")
local origin = os.getenv("ORIGIN")
local slug = os.getenv("SLUG")
local counter = 0

local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
end

function init(args)
  wrk.method = "POST"
  wrk.path = "/c/" .. slug .. "/sign"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Origin"] = origin
end

function request()
  counter = counter + 1
  local body = "token=" .. token .. "&name=Load+Test&country=SE&consent=yes" ..
    "&email=load-" .. thread_id .. "-" .. counter .. "%40example.org"
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("non-303 or failed responses: %d\n", errors))
end
