"""How nodetool fails, by the path a Java exception takes through NodeTool.execute
(cassandra-behaviour.md §2.2).

- BadUse: IllegalArgumentException/IllegalStateException and airline parse errors ->
  stdout "nodetool: <msg>" + "See 'nodetool help' ...", exit 1.
- ServerError: any other Throwable -> stderr "error: <root cause msg>", "-- StackTrace --" and
  the root cause's stack trace, exit 2.
- Exit: code paths that print something themselves and call System.exit (connection failures,
  getCfsProxy, status with a bad keyspace).
"""


class BadUse(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ServerError(Exception):
    """`java_class` is the root cause's class; `frames` the top of its stack trace."""

    def __init__(self, message: str, java_class: str = "java.io.IOException", frames=None):
        super().__init__(message)
        self.message = message
        self.java_class = java_class
        self.frames = frames or SERVER_FRAMES

    def stderr_text(self) -> str:
        trace = f"{self.java_class}: {self.message}\n" + "".join(f"\tat {f}\n" for f in self.frames)
        return f"error: {self.message}\n-- StackTrace --\n{trace}\n"


class Exit(Exception):
    def __init__(self, code: int, stdout: str = "", stderr: str = ""):
        super().__init__(code)
        self.code = code
        self.stdout = stdout
        self.stderr = stderr


# Plausible top frames; nothing should parse them, but a tail of stderr should look real.
SERVER_FRAMES = (
    "org.apache.cassandra.service.StorageService.takeSnapshot(StorageService.java:4210)",
    "java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)",
    "java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke(NativeMethodAccessorImpl.java:62)",
    "java.base/java.lang.reflect.Method.invoke(Method.java:566)",
    "java.management/com.sun.jmx.mbeanserver.StandardMBeanIntrospector.invokeM2(StandardMBeanIntrospector.java:72)",
    "java.rmi/sun.rmi.transport.Transport$1.run(Transport.java:200)",
    "java.base/java.lang.Thread.run(Thread.java:829)",
)


def client_frames(command_class: str) -> tuple:
    return (
        f"org.apache.cassandra.tools.nodetool.{command_class}.execute({command_class}.java:64)",
        "org.apache.cassandra.tools.NodeTool$NodeToolCmd.runInternal(NodeTool.java:377)",
        "org.apache.cassandra.tools.NodeTool$NodeToolCmd.run(NodeTool.java:362)",
        "org.apache.cassandra.tools.NodeTool.execute(NodeTool.java:272)",
        "org.apache.cassandra.tools.NodeTool.main(NodeTool.java:84)",
    )


def server_frames(method: str, line: int = 4210) -> tuple:
    cls, _, name = method.rpartition(".")
    return (f"org.apache.cassandra.{method}({cls.rsplit('.', 1)[-1]}.java:{line})",) + SERVER_FRAMES[1:]
