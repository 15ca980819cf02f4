"""Planning figures for how long a replica takes to come up: not measurements, kept in one
place so the load estimate and the deploy-truth checks agree."""

# The autoscaler adds a GPU node: the instance boots, joins, and the device plugin
# advertises its GPUs.
GPU_NODE_SCALE_UP_S = 600
# Pulling the engine image (vLLM's and TGI's are several GB) onto a new node.
IMAGE_PULL_S = 300
