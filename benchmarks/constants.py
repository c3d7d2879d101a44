"""Values the seed and the scenarios share (no Django imports: the load client reads them)."""

# The bench server runs with this daily token cap (benchmarks.run sets DAILY_TOKEN_CAP).
TOKEN_CAP = 1_000_000_000
CAPPED_USERNAME = "bench_capped"
CAPPED_ROOM = 40  # interactionRecord calls that still fit under the capped user's cap
TOKENS_PER_RECORDING = 1_000
BIG_THREAD = "thread_big"
INTERACTIONS_THREAD = "thread_interactions"
CAPPED_THREAD = "thread_capped"
