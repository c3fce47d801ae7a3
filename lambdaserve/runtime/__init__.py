"""The code that ships inside the function: stdlib plus the model's framework only."""
