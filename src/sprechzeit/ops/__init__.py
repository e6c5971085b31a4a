"""Operations edge: health, readiness and metrics endpoints, the request context
(request id, log context, latency metric) and the collectors read at scrape time.

An edge like `site/`: it reads the domain's tables to report on them and owns no state.
The metrics themselves and the log context live in `core` (`core.metrics`, `core.logs`),
where domain code can reach them.
"""
