-- wrk script: POST a signed GitHub webhook, with a new X-GitHub-Delivery
-- per request (so closeloopd stores every one, none is a duplicate).
-- Environment: BENCH_BODY (file), BENCH_SIG ("sha256=..."), BENCH_RUN.
local threads = {}
local counter = 0
local id = 0
local body, sig, run

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
   body = f:read("*a")
   f:close()
   sig = os.getenv("BENCH_SIG")
   run = os.getenv("BENCH_RUN") or "0"
   id = wrk.thread:get("id")
end

function request()
   counter = counter + 1
   return wrk.format("POST", nil, {
      ["Content-Type"] = "application/json",
      ["User-Agent"] = "GitHub-Hookshot/bench",
      ["X-GitHub-Event"] = "issues",
      -- hex and dashes, like GitHub's GUIDs
      ["X-GitHub-Delivery"] = string.format("%s-%04x-%08x", run, id, counter),
      ["X-Hub-Signature-256"] = sig,
   }, body)
end
