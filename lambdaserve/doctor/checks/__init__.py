"""One check per module; registry.CHECKS lists them."""
