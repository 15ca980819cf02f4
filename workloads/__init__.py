"""Kubernetes workloads on any cloud's cluster, through the `KubernetesCluster` seam."""
