"""Model sizing: exact parameter counts, memory per GPU, KV-cache capacity, throughput."""
