"""Allocates and touches memory until the cap kills it, unless told not to."""


def handler(event, context):
    if event.get("ok"):
        return "ok"
    hoard = []
    while True:
        hoard.append(bytearray(b"x" * (16 * 1024 * 1024)))
