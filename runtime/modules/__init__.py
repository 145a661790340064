"""Runtime modules. Each file is one module: parameters, storage, calls, views, events, errors, hooks."""
