"""CrossGuard policy packs (security, cost) and the rule library they share."""
