"""The two Lua scripts: each decision is one atomic ``EVALSHA`` (SPEC §16).

Why Lua and the server's ``TIME``: read-decide-write must be atomic across the fleet (two
workers must not both take the last token), and every process must agree on "now" -- the
workers' own clocks may be skewed by seconds, Redis's is one clock. Every write is followed by
an ``EXPIRE``/``PEXPIRE``, so no key outlives its use.

A time in the future is read as now: Redis's clock can go back (a failover to a replica whose
clock is behind, data restored into a restarted server, an NTP step). A budget field from the
future is out of the window (deleted), and a bucket stamped in the future refills from now;
before, such a bucket refilled nothing until Redis's clock caught up, so every call of the
fleet waited ever longer or was refused for as long as the clocks differed.
"""

from __future__ import annotations

import hashlib

__all__ = ["BUDGET", "LIMITER", "Script"]


class Script:
    """A script's source and SHA1, computed once (``EVALSHA`` sends only the digest)."""

    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


#: KEYS[1]: the budget's hash. ARGV: op ("r" = count a first attempt, "s" = spend one retry),
#: ratio, floor per second, window in seconds. Fields "<second>:q" (first attempts),
#: "<second>:r" (retries paid from the ratio), "<second>:f" (retries paid from that second's
#: floor). Fields older than the window are deleted on every call, so the hash holds at most
#: 3 x window fields. Returns 1 (counted / granted) or 0 (spent).
BUDGET = Script(
    """
local t = redis.call('TIME')
local now = tonumber(t[1])
local window = tonumber(ARGV[4])
local oldest = now - window + 1
local fields = redis.call('HGETALL', KEYS[1])
local req, ret, floor = 0, 0, 0
local stale = {}
for i = 1, #fields, 2 do
  local f = fields[i]
  local sec = tonumber(string.sub(f, 1, -3))
  local kind = string.sub(f, -1)
  local n = tonumber(fields[i + 1]) or 0
  if sec == nil or sec < oldest or sec > now then
    stale[#stale + 1] = f
  elseif kind == 'q' then
    req = req + n
  elseif kind == 'r' then
    ret = ret + n
  elseif sec == now then
    floor = floor + n
  end
end
if #stale > 0 then
  redis.call('HDEL', KEYS[1], unpack(stale))
end
local granted = 1
if ARGV[1] == 'r' then
  redis.call('HINCRBY', KEYS[1], now .. ':q', 1)
elseif ret + 1 <= tonumber(ARGV[2]) * req then
  redis.call('HINCRBY', KEYS[1], now .. ':r', 1)
elseif floor < tonumber(ARGV[3]) then
  redis.call('HINCRBY', KEYS[1], now .. ':f', 1)
else
  granted = 0
end
redis.call('EXPIRE', KEYS[1], window + 1)
return granted
"""
)

#: KEYS[1]: the bucket's hash. ARGV: rate (tokens per second), burst, the longest wait the
#: call can afford (seconds). A token bucket with reservations: a caller that has to wait
#: takes its token now (the balance goes negative) and is told how long to sleep, so one
#: round trip decides and the callers behind it queue up in order. A wait longer than the
#: caller can afford takes nothing. Returns {granted (1|0), wait seconds as a string}.
LIMITER = Script(
    """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1])
local ts = tonumber(v[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
end
ts = now
local wait = 0
if tokens < 1 then
  wait = (1 - tokens) / rate
end
if wait > max_wait then
  return {0, tostring(wait)}
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(((burst - tokens) / rate + 10) * 1000))
return {1, tostring(wait)}
"""
)
