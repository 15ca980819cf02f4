"""GCP ComponentResources: network, GKE cluster, node pools, Workload Identity, buckets."""
