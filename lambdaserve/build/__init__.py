"""lambdaserve.build"""
