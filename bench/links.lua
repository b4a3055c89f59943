-- One phase of bench/links.py, driven by wrk. Settings come from the environment:
-- DL_PHASE (upsert | find_external | find_app | delete), DL_LINKS (ids are 0..DL_LINKS-1 for
-- the timed phases), DL_OFFSET (first id for upsert/delete), DL_THREADS, DL_TOKEN,
-- DL_SELECTOR (the instance selector query string).
local phase = os.getenv("DL_PHASE")
local links = tonumber(os.getenv("DL_LINKS"))
local offset = tonumber(os.getenv("DL_OFFSET") or "0")
local stride = tonumber(os.getenv("DL_THREADS"))
local wrap = os.getenv("DL_WRAP") == "1"
local path = "/data-link-table-instance/links?" .. os.getenv("DL_SELECTOR")
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("DL_TOKEN"),
  ["Content-Type"] = "application/json",
}

local next_thread = 0
function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local counter
function init(_)
  counter = offset + thread_number
  math.randomseed(os.time() + thread_number)
end

local function link_body(n)
  return string.format(
    '{"externalRecordId":"ext-%d","appRecordId":"app-%d","direction":"import"}', n, n)
end

local function next_id()
  local n = counter
  counter = counter + stride
  if wrap then n = n % links end
  return n
end

function request()
  if phase == "upsert" then
    return wrk.format("POST", path, headers, link_body(next_id()))
  elseif phase == "delete" then
    return wrk.format("DELETE", path, headers, link_body(next_id()))
  elseif phase == "find_external" then
    local n = math.random(0, links - 1)
    return wrk.format("GET", path .. "&direction=import&externalRecordId=ext-" .. n, headers)
  else
    local n = math.random(0, links - 1)
    return wrk.format("GET", path .. "&direction=import&appRecordId=app-" .. n, headers)
  end
end
