"""Building blocks of the policy packs: rules, resource accessors, Kubernetes pod specs."""
