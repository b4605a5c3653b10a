"""Workloads: layer and network descriptions, sparse tensors, compression, import."""
