"""The SolusIO post-pay billing addon for the hostsim billing host."""
