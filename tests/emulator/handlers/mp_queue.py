"""multiprocessing in a handler: Queue needs /dev/shm, Process + Pipe do not."""

import multiprocessing


def _child(conn):
    conn.send("from child")
    conn.close()


def handler(event, context):
    if event.get("use") == "pipe":
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.Process(target=_child, args=(child,))
        proc.start()
        message = parent.recv()
        proc.join()
        return {"message": message, "exitcode": proc.exitcode}
    multiprocessing.Queue()
    return "unreachable"
