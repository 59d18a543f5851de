-- 95 % token-authenticated reads, 5 % writes (token.update of the description, token.generate of
-- a spare token). Environment: TOKEN (used for every call), SPARE (tokenid the writes change).
-- Every answer is checked: one without "result" (a JSON-RPC error) or with another status counts as
-- an error, and the total is printed at the end as "JSON-RPC errors: N".
local token = os.getenv("TOKEN")
local spare = os.getenv("SPARE")
local counter = 0
local errors = 0
local read = '{"jsonrpc":"2.0","method":"token.get","params":{"output":["tokenid"],"limit":1},"auth":"' .. token .. '","id":1}'
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

request = function()
  counter = counter + 1
  local body = read
  if counter % 20 == 0 then
    if counter % 40 == 0 then
      body = '{"jsonrpc":"2.0","method":"token.generate","params":["' .. spare .. '"],"auth":"' .. token .. '","id":2}'
    else
      body = '{"jsonrpc":"2.0","method":"token.update","params":{"tokenid":"' .. spare .. '","description":"d' .. counter .. '"},"auth":"' .. token .. '","id":3}'
    end
  end
  return wrk.format("POST", "/api_jsonrpc.php", {["Content-Type"] = "application/json-rpc"}, body)
end

response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"result":', 1, true) then
    errors = errors + 1
  end
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("errors")
  end
  io.write(string.format("JSON-RPC errors: %d\n", total))
end
