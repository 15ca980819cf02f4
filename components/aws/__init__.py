"""AWS ComponentResources: network, EKS cluster, node groups, IRSA, buckets."""
