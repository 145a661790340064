"""The node: database, blocks, transaction pool, authoring. It owns every side effect."""
