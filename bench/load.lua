-- One wrk run of bench/suite.py. Settings come from the environment:
-- DL_PHASE (json | upsert | find), DL_PATH (path and query of the link route), DL_TOKEN
-- (bearer token; empty for the reference app), DL_LINKS (ids are 0..DL_LINKS-1),
-- DL_PREFIX (prefix of the ids, e.g. "small-"), DL_THREADS.
local phase = os.getenv("DL_PHASE")
local links = tonumber(os.getenv("DL_LINKS") or "1")
local path = os.getenv("DL_PATH") or "/json"
local prefix = os.getenv("DL_PREFIX") or ""
local stride = tonumber(os.getenv("DL_THREADS") or "1")
local token = os.getenv("DL_TOKEN") or ""
local headers = { ["Content-Type"] = "application/json" }
if token ~= "" then headers["Authorization"] = "Bearer " .. token end
local joiner = string.find(path, "?", 1, true) and "&" or "?"

local next_thread = 0
function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local counter
function init(_)
  counter = thread_number
  math.randomseed(os.time() + thread_number)
end

function request()
  if phase == "json" then
    return wrk.format("GET", "/json", headers)
  elseif phase == "upsert" then
    -- Existing links, walked in order: every request updates one.
    local n = counter % links
    counter = counter + stride
    local body = string.format(
      '{"externalRecordId":"%sext-%d","appRecordId":"%sapp-%d","direction":"import"}',
      prefix, n, prefix, n)
    return wrk.format("POST", path, headers, body)
  else
    local n = math.random(0, links - 1)
    return wrk.format("GET", path .. joiner .. "direction=import&externalRecordId=" .. prefix .. "ext-" .. n, headers)
  end
end
