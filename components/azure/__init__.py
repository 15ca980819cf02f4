"""Azure ComponentResources: network, AKS cluster, node pools, Workload Identity, storage."""
