"""JSON-RPC 2.0 over HTTP and WebSocket: the eth_ methods wallets use, and the node's own."""
