-- A JSON-RPC call per request. Environment: BODY (the request body), BEARER (optional token for
-- the Authorization header).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json-rpc"
wrk.body = os.getenv("BODY")
local bearer = os.getenv("BEARER")
if bearer and bearer ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. bearer
end
