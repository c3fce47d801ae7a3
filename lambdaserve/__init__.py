"""lambdaserve: a trained model to an inference API on AWS Lambda.

This file ships inside the function with ``lambdaserve.runtime``, so it imports nothing.
"""

__version__ = "0.1.0"
