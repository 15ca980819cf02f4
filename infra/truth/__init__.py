"""Deploy truth: what the plan says about whether a stack will come up.

Read from the plan record alone (no cloud, no cluster): the node pools the stack creates,
the pods it asks Kubernetes to run, and what each waits for before it is created.
"""
