"""Prints more than a pipe holds (64 KB) before it answers: it waits on the log reader."""


def handler(event, context):
    for n in range(event["lines"]):
        print(f"chatty line {n:06d} " + "x" * 40)
    return {"printed": event["lines"]}
