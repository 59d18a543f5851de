-- 95 % token-authenticated reads, 5 % writes (token.update of the description, token.generate of
-- a spare token). Environment: TOKEN (used for every call), SPARE (tokenid the writes change).
local token = os.getenv("TOKEN")
local spare = os.getenv("SPARE")
local counter = 0
local read = '{"jsonrpc":"2.0","method":"token.get","params":{"output":["tokenid"],"limit":1},"auth":"' .. token .. '","id":1}'

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
