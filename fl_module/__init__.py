"""FL Alliance and AI Arena: runtime modules (pure) and off-chain workers (`fl_module.worker`)."""
