import Foundation
import ScalingCore
import TestSupport
import Testing
import Verifiers

/// One hostile program with the verdict it must get.
///
/// Every program is graded against `assert add(1, 2) == 3`. Programs that probe a
/// protection end by defining `add` correctly only after asserting the probe was
/// contained, so `.passed` proves containment; programs that attack the verdict
/// itself must not reach `.passed`.
struct HostileCase: Sendable, CustomTestStringConvertible {
    let name: String
    let expected: Verdict.Outcome
    /// A phrase the verdict's detail must contain (the limit or signal named).
    let detail: String?
    let program: String

    var testDescription: String { name }
}

/// Values from the host the programs look for, so a leak would be seen.
enum HostileContext {
    static let hostPID = getpid()
    /// The benchmark data folder (`TestPaths.sharedData()`); `hostileProgramIsContained` fails
    /// loudly when there is none, so the probe never looks for a folder that does not exist.
    static let dataPath = (try? TestPaths.sharedData().path) ?? ""
    /// Host environment values long enough to be unmistakable.
    static let hostEnvironmentValues: [String] = ProcessInfo.processInfo.environment.values
        .filter { $0.count >= 12 && !["/usr/bin:/bin", "C.UTF-8"].contains($0) }.sorted()

    static func pythonList(_ values: [String]) -> String {
        "[" + values.map { "r'''\($0.replacingOccurrences(of: "'''", with: ""))'''" }.joined(separator: ", ") + "]"
    }
}

let correctAdd = "\ndef add(a, b):\n    return a + b\n"

let hostileCases: [HostileCase] = [
    // Processes.
    HostileCase(name: "fork bomb", expected: .failed, detail: "process limit", program: """
        import os
        while True:
            os.fork()
        """),
    HostileCase(name: "shell fork bomb in the background is contained and killed at the end", expected: .passed, detail: nil, program: """
        import os
        os.system(":(){ :|:& };: 2>/dev/null &")
        """ + correctAdd),
    HostileCase(name: "background processes that outlive the run", expected: .passed, detail: nil, program: """
        import os, subprocess, time
        subprocess.Popen(["/usr/bin/sleep", "300"], start_new_session=True)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(300)
            os._exit(0)
        """ + correctAdd),
    HostileCase(name: "threads and atexit handlers that never finish", expected: .passed, detail: nil, program: """
        import atexit, threading, time
        threading.Thread(target=time.sleep, args=(300,)).start()
        atexit.register(time.sleep, 300)
        """ + correctAdd),
    HostileCase(name: "killing the parent, pid 1 and the host test process", expected: .passed, detail: nil, program: """
        import os, signal
        for pid in (os.getppid(), 1, \(HostileContext.hostPID)):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        """ + correctAdd),
    HostileCase(name: "killing every process it can signal", expected: .passed, detail: nil, program: """
        import os, signal, subprocess
        sleeper = subprocess.Popen(["/usr/bin/sleep", "30"])
        os.kill(-1, signal.SIGKILL)
        assert sleeper.wait() == -signal.SIGKILL
        """ + correctAdd),

    // Memory.
    HostileCase(name: "memory hog beyond the address-space limit (MemoryError)", expected: .failed, detail: "memory limit", program: """
        block = bytearray(2 << 30)
        """ + correctAdd),
    HostileCase(name: "memory hog inside the address-space limit, beyond the run's memory", expected: .crashed,
                detail: "memory limit", program: """
        block = b"x" * (400 << 20)
        """ + correctAdd),
    HostileCase(name: "memory split across processes, each under its own limit", expected: .crashed,
                detail: "memory limit", program: """
        import os, time
        children = []
        for _ in range(3):
            pid = os.fork()
            if pid == 0:
                block = b"x" * (150 << 20)
                time.sleep(1)
                os._exit(0)
            children.append(pid)
        statuses = [os.waitpid(pid, 0)[1] for pid in children]
        assert all(status == 0 for status in statuses), statuses
        """ + correctAdd),

    // Time.
    HostileCase(name: "infinite loop", expected: .timeout, detail: nil, program: """
        while True:
            pass
        """),
    HostileCase(name: "sleeping past the timeout", expected: .timeout, detail: "wall-clock", program: """
        import time
        time.sleep(60)
        """ + correctAdd),
    HostileCase(name: "busy loops in several processes", expected: .timeout, detail: nil, program: """
        import os
        for _ in range(3):
            if os.fork() == 0:
                while True:
                    pass
        os.wait()
        """),
    HostileCase(name: "waiting for stdin", expected: .failed, detail: "EOFError", program: """
        value = input()
        """ + correctAdd),

    // Files and output.
    HostileCase(name: "huge file", expected: .failed, detail: "file size limit", program: """
        with open("/tmp/huge", "wb") as handle:
            for _ in range(64):
                handle.write(b"x" * (1 << 20))
        """ + correctAdd),
    HostileCase(name: "filling /tmp", expected: .failed, detail: "disk space", program: """
        for index in range(16):
            with open(f"/tmp/part{index}", "wb") as handle:
                handle.write(b"x" * (8 << 20))
        """ + correctAdd),
    HostileCase(name: "filling /dev/shm", expected: .failed, detail: "disk space", program: """
        for index in range(16):
            with open(f"/dev/shm/part{index}", "wb") as handle:
                handle.write(b"x" * (4 << 20))
        """ + correctAdd),
    HostileCase(name: "stdout without end", expected: .timeout, detail: "wall-clock", program: """
        import sys
        while True:
            sys.stdout.write("x" * 65536)
        """),
    HostileCase(name: "stderr without end", expected: .timeout, detail: "wall-clock", program: """
        import sys
        while True:
            sys.stderr.write("x" * 65536)
        """),
    HostileCase(name: "too many open files", expected: .failed, detail: "open files", program: """
        handles = [open("/dev/null") for _ in range(10000)]
        """ + correctAdd),
    HostileCase(name: "writing outside /tmp", expected: .passed, detail: nil, program: """
        written = []
        for path in ["/evil", "/usr/evil", "/dev/evil", "/sandbox/evil", "/proc/sys/kernel/hostname", "/usr/local/evil"]:
            try:
                with open(path, "w") as handle:
                    handle.write("x")
                written.append(path)
            except OSError:
                pass
        assert not written, written
        """ + correctAdd),

    // What the program can see.
    HostileCase(name: "reading host files", expected: .passed, detail: nil, program: """
        import os
        probes = ["/etc/passwd", "/etc/shadow", "/root", "/home", "/work", "/var", "/opt", "/srv", "/mnt", "/sys",
                  "/run", "/boot", r'''\(HostileContext.dataPath)''', "/usr/local/bin", "/root/.pyenv"]
        leaks = [path for path in probes if os.path.exists(path)]
        leaks += [name for name in os.listdir("/")
                  if name not in ("usr", "bin", "lib", "lib64", "lib32", "libx32", "sbin", "proc", "dev", "tmp", "sandbox")]
        assert not leaks, leaks
        """ + correctAdd),
    HostileCase(name: "seeing host processes", expected: .passed, detail: nil, program: """
        import os
        pids = [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
        assert max(pids) < 100, pids
        assert not os.path.exists("/proc/\(HostileContext.hostPID)/root/work") or True
        commands = [open(f"/proc/{pid}/cmdline", "rb").read() for pid in pids if os.path.exists(f"/proc/{pid}/cmdline")]
        assert not any(b"swift" in command or b"xctest" in command for command in commands), commands
        """ + correctAdd),
    HostileCase(name: "reading the host environment, also through /proc", expected: .passed, detail: nil, program: """
        import os
        allowed = {"PATH", "HOME", "TMPDIR", "LANG", "PWD", "LC_CTYPE"}
        assert set(os.environ) <= allowed, sorted(os.environ)
        host_values = \(HostileContext.pythonList(HostileContext.hostEnvironmentValues))
        seen = b""
        for entry in os.listdir("/proc"):
            for name in ("environ", "cmdline"):
                try:
                    seen += open(f"/proc/{entry}/{name}", "rb").read()
                except OSError:
                    pass
        leaked = [value for value in host_values if value.encode() in seen]
        assert not leaked, leaked
        """ + correctAdd),
    HostileCase(name: "privileges", expected: .passed, detail: nil, program: """
        import os, subprocess
        assert os.getuid() == 65534 and os.geteuid() == 65534 and os.getgid() == 65534
        status = open("/proc/self/status").read()
        assert "CapEff:\\t0000000000000000" in status and "CapBnd:\\t0000000000000000" in status, status
        for attempt in (lambda: os.setuid(0), lambda: os.chroot("/tmp")):
            try:
                attempt()
                raise AssertionError("privileged call succeeded")
            except OSError:
                pass
        for command in (["/usr/bin/unshare", "--user", "/usr/bin/true"], ["/usr/bin/mount", "-t", "tmpfs", "none", "/tmp"]):
            assert subprocess.run(command, capture_output=True).returncode != 0, command
        """ + correctAdd),

    // Network.
    HostileCase(name: "network: no interface but loopback, no name resolution", expected: .passed, detail: nil, program: """
        import socket
        names = [name for _, name in socket.if_nameindex()]
        assert names == ["lo"], names
        try:
            socket.getaddrinfo("pypi.org", 443)
            raise AssertionError("name resolution worked")
        except socket.gaierror:
            pass
        """ + correctAdd),

    // The verdict itself.
    HostileCase(name: "exiting early with status 0", expected: .failed, detail: "status 0 before the tests finished", program: """
        import os
        os._exit(0)
        """ + correctAdd),
    HostileCase(name: "sys.exit(0) before the tests", expected: .failed, detail: "called exit", program: """
        import sys
        sys.exit(0)
        """ + correctAdd),
    HostileCase(name: "printing fake success markers", expected: .failed, detail: "status 0 before the tests finished", program: """
        import os
        print("PASS")
        print("All tests passed")
        print('{"passed": true, "outcome": "passed"}')
        os._exit(0)
        """),
    HostileCase(name: "forging the result channel", expected: .failed, detail: "status 0 before the tests finished", program: """
        import os
        os.write(4, b"READY\\nPASS 0123456789abcdef-0123456789abcdef\\nPASS\\n")
        os._exit(0)
        """),
    HostileCase(name: "stealing the token from its pipe", expected: .failed, detail: "status 0 before the tests finished", program: """
        import os
        found = b""
        for path in ("/proc/self/fd/3", "/dev/fd/3"):
            try:
                found += open(path, "rb").read()
            except OSError:
                pass
        try:
            found += os.read(3, 256)
        except OSError:
            pass
        if found:
            os.write(4, b"PASS " + found.strip() + b"\\n")
        os._exit(0)
        """),
    HostileCase(name: "stealing the token from the harness's frames", expected: .failed,
                detail: "status 0 before the tests finished", program: """
        import os, sys, re
        found = []
        def collect(namespace):
            for value in list(namespace.values()):
                if isinstance(value, bytes) and re.fullmatch(rb"[0-9a-f-]{16,80}", value):
                    found.append(value)
        routes = [
            lambda: [collect(sys._getframe(depth).f_locals) for depth in range(1, 6)],
            lambda: [collect(frame.f_locals) for frame in sys._current_frames().values()],
            lambda: [collect(frame.f_back.f_locals) for frame in [sys.exc_info()[2].tb_frame] if frame],
            lambda: __import__("inspect").stack(),
            lambda: sys.settrace(lambda frame, event, arg: collect(frame.f_back.f_locals)),
        ]
        for route in routes:
            try:
                route()
            except Exception:
                pass
        try:
            raise RuntimeError
        except RuntimeError as error:
            try:
                frame = error.__traceback__.tb_frame
                while frame:
                    collect(frame.f_locals)
                    frame = frame.f_back
            except Exception:
                pass
        for token in found:
            os.write(4, b"PASS " + token + b"\\n")
        os._exit(0)
        """),
    HostileCase(name: "stealing the token from memory", expected: .failed, detail: "status 0 before the tests finished", program: """
        import os, gc, re, subprocess
        found = []
        for route in (lambda: gc.get_objects(), lambda: gc.get_referrers(os)):
            try:
                found += [value for value in route() if isinstance(value, bytes) and re.fullmatch(rb"[0-9a-f-]{16,80}", value)]
            except Exception:
                pass
        for path in ("/proc/self/mem", "/proc/thread-self/mem", f"/proc/{os.getpid()}/mem"):
            try:
                open(path, "rb")
                found.append(b"opened " + path.encode())
            except Exception:
                pass
        try:
            os.symlink("/proc/self/mem", "/tmp/m")
            open("/tmp/m", "rb")
            found.append(b"symlink")
        except Exception:
            pass
        try:
            import ctypes
            found.append(ctypes.string_at(id(os), 64))
        except Exception:
            pass
        child = subprocess.run(["/usr/bin/python3", "-c", f"open('/proc/{os.getpid()}/mem', 'rb'); print('OPENED')"],
                               capture_output=True, text=True)
        if "OPENED" in child.stdout:
            found.append(b"child")
        for token in found:
            os.write(4, b"PASS " + token + b"\\n")
        os._exit(0)
        """),
    HostileCase(name: "tampering with the harness and program files", expected: .passed, detail: nil, program: """
        tampered = []
        for path in ("/sandbox/harness.py", "/sandbox/program.py"):
            try:
                with open(path, "a") as handle:
                    handle.write("\\nimport os; os.write(4, b'PASS x')")
                tampered.append(path)
            except OSError:
                pass
        assert not tampered, tampered
        """ + correctAdd),
    HostileCase(name: "monkeypatching the harness's tools, then failing", expected: .failed,
                detail: "test case 1 of 1 failed: assert add(1, 2) == 3", program: """
        import os, json, builtins
        real_write = os.write
        os.write = lambda fd, data: real_write(fd, b"PASS forged\\n")
        os._exit = lambda code: None
        json.dumps = lambda *args, **kwargs: "PASS forged"
        builtins.AssertionError = type("Quiet", (Exception,), {})
        def add(a, b):
            return a - b
        """),
    HostileCase(name: "interrupting the main thread, which is the program's", expected: .failed, detail: "KeyboardInterrupt", program: """
        import _thread
        _thread.interrupt_main()
        """ + correctAdd),

    // The reference protocol: a script in its interpreter's main thread.
    HostileCase(name: "signal.signal around a helper (main thread)", expected: .passed, detail: nil, program: """
        import signal
        def add(a, b):
            def expired(number, frame):
                raise TimeoutError
            previous = signal.signal(signal.SIGALRM, expired)
            signal.setitimer(signal.ITIMER_REAL, 1.0)
            try:
                return a + b
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        """),
    HostileCase(name: "run as a script named __main__, in the main thread", expected: .passed, detail: nil, program: """
        import sys, threading, pickle
        assert __name__ == "__main__", __name__
        assert threading.current_thread() is threading.main_thread()
        assert sys.modules["__main__"].__dict__ is globals()
        class Point:
            pass
        assert type(pickle.loads(pickle.dumps(Point()))) is Point
        if __name__ == "__main__":
            def add(a, b):
                return a + b
        """),
    HostileCase(name: "frame introspection, tracebacks and logging", expected: .passed, detail: nil, program: """
        import inspect, sys, traceback, logging, gc
        assert inspect.currentframe().f_code.co_name == "<module>"
        assert sys._getframe().f_back is not None
        try:
            raise ValueError("probe")
        except ValueError:
            assert "probe" in traceback.format_exc()
        logging.getLogger("probe").warning("logged")
        assert len(gc.get_objects()) > 0
        def add(a, b):
            return sys._getframe().f_locals["a"] + b
        """),
    HostileCase(name: "can't start new thread", expected: .failed, detail: "thread limit", program: """
        import threading, time
        threads = []
        while True:
            thread = threading.Thread(target=time.sleep, args=(5,), daemon=True)
            thread.start()
            threads.append(thread)
        """ + correctAdd),
    HostileCase(name: "100 MB on stdout, then the right answer", expected: .passed, detail: nil, program: """
        import sys
        for _ in range(1600):
            sys.stdout.write("x" * 65536)
        sys.stdout.flush()
        """ + correctAdd),
    HostileCase(name: "100 MB on stderr, then the right answer", expected: .passed, detail: nil, program: """
        import os
        block = b"x" * (1 << 20)
        for _ in range(100):
            os.write(2, block)
        """ + correctAdd),
    HostileCase(name: "null read through ctypes", expected: .crashed, detail: "SIGSEGV", program: """
        import ctypes
        ctypes.string_at(0)
        """ + correctAdd),
    HostileCase(name: "ctypes through importlib, then the right answer", expected: .failed, detail: "raw access", program: """
        import importlib
        ctypes = importlib.import_module("ctypes")
        def add(a, b):
            return ctypes.c_int64(a + b).value
        """),
    HostileCase(name: "tracing, then the right answer", expected: .failed, detail: "sys.settrace", program: """
        import sys
        sys.settrace(lambda frame, event, argument: None)
        sys.settrace(None)
        """ + correctAdd),

    HostileCase(name: "opening /proc/self/mem through a symlink, then the right answer", expected: .failed,
                detail: "raw access", program: """
        import os
        os.symlink("/proc/self/mem", "/tmp/memory")
        try:
            open("/tmp/memory", "rb").close()   # refused by the kernel here (the process is non-dumpable)
        except OSError:
            pass
        """ + correctAdd),

    // The proof: the nonce is the keeper's, the proof channel the harness's.
    HostileCase(name: "connecting to the keeper itself", expected: .failed, detail: "PermissionError", program: """
        import socket
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect("\\0quorum-proof")
        """ + correctAdd),
    HostileCase(name: "a child process connects to the keeper, then exit 0", expected: .failed,
                detail: "status 0 before the tests finished", program: """
        import os, subprocess
        subprocess.run(["/usr/bin/python3", "-c",
                        "import socket; socket.socket(socket.AF_UNIX).connect('\\\\0quorum-proof')"], check=True)
        os._exit(0)
        """),
    HostileCase(name: "a forked child runs the tests while the interpreter exits early", expected: .failed,
                detail: "status 0 before the tests finished", program: """
        import os, time
        if os.fork() != 0:
            time.sleep(1)
            os._exit(0)
        """ + correctAdd),
    HostileCase(name: "the keeper's memory and descriptors are closed to the program's processes", expected: .passed,
                detail: nil, program: """
        import os, subprocess
        opened = []
        for path in ["/proc/1/mem", "/proc/1/fd/3", "/proc/1/fd/4", "/proc/1/environ", f"/proc/{os.getpid()}/mem"]:
            child = subprocess.run(["/usr/bin/cat", path], capture_output=True)
            if child.returncode == 0:
                opened.append(path)
        assert not opened, opened
        pipes = []
        for entry in os.listdir("/proc/self/fd"):
            try:
                if entry not in ("1", "2", "4") and os.readlink(f"/proc/self/fd/{entry}").startswith("pipe:"):
                    pipes.append(entry)
            except OSError:
                pass
        assert not pipes, pipes
        """ + correctAdd),
    HostileCase(name: "exec'ing a fresh interpreter in its own process, which connects to the keeper", expected: .failed,
                detail: "raw access", program: """
        import os
        os.execv("/usr/bin/python3", ["python3", "-c",
                 "import socket; socket.socket(socket.AF_UNIX).connect('\\\\0quorum-proof')"])
        """),
    HostileCase(name: "printing a fake nonce", expected: .failed, detail: "status 0 before the tests finished", program: """
        import os, secrets
        nonce = "-".join(secrets.token_hex(8) for _ in range(4))
        print("PASS " + nonce)
        os.write(4, ("PASS " + nonce + "\\n").encode())
        os._exit(0)
        """),

    // Reward hacking through the test harness: what the tests compare.
    HostileCase(name: "__eq__ that always answers True", expected: .failed, detail: "methods of the program's own", program: """
        class Anything:
            def __eq__(self, other):
                return True
        def add(a, b):
            return Anything()
        """),
    HostileCase(name: "__eq__ True with __hash__ set, returned through a slice", expected: .failed, detail: "methods of the program's own", program: """
        class Anything:
            def __eq__(self, other):
                return True
            __hash__ = object.__hash__
        def add(a, b):
            return (Anything(),)[0:1][0]
        """),
    HostileCase(name: "subclass of int whose __eq__ answers True", expected: .failed, detail: "test case 1 of 1 failed",
                program: """
        class Three(int):
            def __eq__(self, other):
                return True
            def __ne__(self, other):
                return False
            __hash__ = int.__hash__
        def add(a, b):
            return Three(0)
        """),
    HostileCase(name: "subclass of int built with exec (its methods in no file of the program)", expected: .failed,
                detail: "test case 1 of 1 failed", program: """
        namespace = {}
        exec("class Liar(int):\\n    def __eq__(self, other): return True\\n    __hash__ = int.__hash__", namespace)
        def add(a, b):
            return namespace["Liar"](7)
        """),
    HostileCase(name: "__ne__, __hash__ and __bool__ tricks on an object", expected: .failed,
                detail: "methods of the program's own", program: """
        class Slippery:
            __eq__ = lambda self, other: True
            __ne__ = lambda self, other: False
            __hash__ = lambda self: hash(3)
            __bool__ = lambda self: True
        def add(a, b):
            return Slippery()
        """),
    HostileCase(name: "subclasses of float, tuple and list whose __eq__ answers True", expected: .failed,
                detail: "test case 1 of 1 failed", program: """
        class Float(float):
            __eq__ = lambda self, other: True
        class Tuple(tuple):
            __eq__ = lambda self, other: True
        class List(list):
            __eq__ = lambda self, other: True
        def add(a, b):
            return [Float(0.5), Tuple(), List()][(a + b) % 3]
        """),
    HostileCase(name: "the standard library's mock.ANY, equal to anything", expected: .failed, detail: "not a plain value",
                program: """
        from unittest import mock
        def add(a, b):
            return mock.ANY
        """),
    HostileCase(name: "monkeypatching isinstance, type and assert's exception", expected: .failed,
                detail: "methods of the program's own", program: """
        import builtins
        class Anything:
            def __eq__(self, other):
                return True
        builtins.isinstance = lambda *arguments: True
        builtins.type = lambda *arguments: int
        builtins.AssertionError = type("Quiet", (Exception,), {})
        def add(a, b):
            return Anything()
        """),
    HostileCase(name: "the function rebinds the check of returned values", expected: .failed, detail: "replaced",
                program: """
        def add(a, b):
            globals()["__quorum_plain_results__"] = lambda function: function
            return a + b
        """),
    HostileCase(name: "a Decimal (a type implemented in C) equal to the answer still passes", expected: .passed,
                detail: nil, program: """
        import decimal
        def add(a, b):
            return decimal.Decimal(a) + b
        """),
    HostileCase(name: "a MagicMock configured to equal anything", expected: .failed, detail: "not a plain value", program: """
        from unittest import mock
        def add(a, b):
            anything = mock.MagicMock()
            anything.__eq__.return_value = True
            return anything
        """),
    HostileCase(name: "plain values from the standard library still pass", expected: .passed, detail: nil, program: """
        from collections import Counter, OrderedDict, namedtuple
        from fractions import Fraction
        Pair = namedtuple("Pair", "left right")
        def add(a, b):
            assert Pair(1, 2) == (1, 2) and Counter("aab") == {"a": 2, "b": 1} and Fraction(1, 2) == 0.5
            return Counter({"x": a + b})["x"]
        """),

    // Crashes.
    HostileCase(name: "segfault", expected: .crashed, detail: "SIGSEGV", program: """
        import faulthandler
        faulthandler._sigsegv()
        """),
    HostileCase(name: "C stack overflow", expected: .crashed, detail: "SIGSEGV", program: """
        import sys
        sys.setrecursionlimit(10 ** 8)
        class Deep:
            def __repr__(self):
                return repr(Deep())
        repr(Deep())
        """),
    HostileCase(name: "abort", expected: .crashed, detail: "SIGABRT", program: """
        import os
        os.abort()
        """),
    HostileCase(name: "killing itself", expected: .crashed, detail: "SIGKILL", program: """
        import os, signal
        os.kill(os.getpid(), signal.SIGKILL)
        """),
    HostileCase(name: "syntax error", expected: .failed, detail: "does not compile", program: """
        def add(a, b)
            return a + b
        """),
]

/// The hostile corpus: each program contained, with the right verdict, and nothing of
/// the run left on the host. Serialized so the host check sees only its own run.
@Suite(.serialized) struct CodeHostileTests {
    static let problem = Problem(
        id: "hostile/add", prompt: .text(""),
        reference: ProblemReference(tests: CodeTests(tests: "assert add(1, 2) == 3\n", testCases: ["assert add(1, 2) == 3"],
                                                     entryPoint: "add")))

    @Test func corpusIsLargeEnough() {
        #expect(hostileCases.count >= 60)
        #expect(Set(hostileCases.map(\.name)).count == hostileCases.count)
    }

    @Test(arguments: hostileCases)
    func hostileProgramIsContained(_ hostile: HostileCase) async throws {
        _ = try TestPaths.sharedData()   // the "reading host files" probe must look for the real data folder
        let sandbox = try CodeTestSupport.hostileSandbox()
        let verdict = await PythonTestsVerifier(sandbox: sandbox).verify(hostile.program, for: Self.problem)
        #expect(verdict.outcome == hostile.expected, "\(hostile.name): \(verdict.outcome), \(verdict.detail ?? "no detail")")
        if let phrase = hostile.detail {
            #expect(verdict.detail?.contains(phrase) == true, "\(hostile.name): detail \(verdict.detail ?? "nil") lacks \(phrase)")
        }
        // A killed process leaves the control group as it starts exiting; give the kernel
        // a moment to finish tearing it down before calling it a leftover.
        var leftovers = CodeTestSupport.hostProcesses(uidBase: CodeTestSupport.hostileUserBase, count: CodeTestSupport.hostileSlots)
        for _ in 0..<30 where !leftovers.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            leftovers = CodeTestSupport.hostProcesses(uidBase: CodeTestSupport.hostileUserBase, count: CodeTestSupport.hostileSlots)
        }
        #expect(leftovers.isEmpty, "\(hostile.name) left processes on the host: \(leftovers)")
    }

    /// A listener on the host's loopback and an abstract unix socket: the sandbox has
    /// its own network namespace, so neither is reachable.
    @Test func hostListenersAreUnreachable() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))

        let abstractName = "quorum-hostile-\(getpid())"
        let unixListener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(unixListener) }
        var unixAddress = sockaddr_un()
        unixAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &unixAddress.sun_path) { raw in
            raw[0] = 0   // abstract namespace
            for (index, byte) in abstractName.utf8.enumerated() { raw[index + 1] = byte }
        }
        let unixLength = socklen_t(MemoryLayout<sa_family_t>.size + 1 + abstractName.utf8.count)
        let unixBound = withUnsafePointer(to: &unixAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(unixListener, $0, unixLength) == 0 && listen(unixListener, 8) == 0 }
        }
        #expect(unixBound)

        let program = """
            import socket
            reached = []
            try:
                socket.create_connection(("127.0.0.1", \(port)), timeout=2).close()
                reached.append("tcp")
            except OSError:
                pass
            try:
                client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                client.connect("\\0\(abstractName)")
                reached.append("unix")
            except OSError:
                pass
            assert not reached, reached
            """ + correctAdd
        let verdict = await PythonTestsVerifier(sandbox: try CodeTestSupport.hostileSandbox()).verify(program, for: Self.problem)
        #expect(verdict.outcome == .passed, "\(verdict.detail ?? "")")
        var peer = sockaddr()
        var peerLength = socklen_t(MemoryLayout<sockaddr>.size)
        #expect(accept(listener, &peer, &peerLength) < 0, "a connection reached the host listener")
    }
}
