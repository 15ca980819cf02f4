"""Online, read-only checks of what the offline plan cannot see: capacity and quotas."""
