"""Serve: embeddings, the similarity index, retrieval, backends and grounded answers."""
