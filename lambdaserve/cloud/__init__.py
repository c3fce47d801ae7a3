"""lambdaserve.cloud"""
