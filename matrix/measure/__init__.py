"""Build real kustomize binaries and plugins, load them, record the outcomes."""
