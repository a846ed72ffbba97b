/// The Python side of a test run: the harness source, the program it runs, and how
/// its records on the result channel (fd 4) are read back.
///
/// Protocol on fd 4, one line each: `READY` once the program is about to start (its
/// absence means the sandbox or the interpreter failed, not the program); `PASS <token>`
/// only after the program and its tests returned normally; otherwise one JSON object
/// describing why not (`kind`: syntax, assertion, exception, exit, limit).
public enum PythonTestHarness {
    /// File names inside /sandbox.
    static let harnessFileName = "harness.py"
    static let programFileName = "program.py"

    /// The harness. It runs as /sandbox/harness.py with the token on fd 3; see the
    /// threat model in Sandbox.swift for why each step is there.
    static let source = #"""
    # Quorum test harness: run /sandbox/program.py; prove completion with the token from fd 3.
    # Imports are kept to modules already loaded at startup (json and threading would
    # double the interpreter's start time through re, enum and functools).
    import os, sys, _thread, builtins, signal

    def _json(report):
        """A flat dict of str, int and None as one JSON object."""
        def quote(text):
            out = []
            for character in text:
                code = ord(character)
                if character in '"\\':
                    out.append("\\" + character)
                elif code < 0x20 or 0xD800 <= code < 0xE000:
                    out.append("\\u%04x" % code)
                else:
                    out.append(character)
            return '"' + "".join(out) + '"'
        items = []
        for key, value in report.items():
            if value is None:
                encoded = "null"
            elif type(value) is int:
                encoded = str(value)
            else:
                encoded = quote(str(value))
            items.append(quote(key) + ": " + encoded)
        return "{" + ", ".join(items) + "}"

    def _main():
        _write, _exit, _get_ident, _type = os.write, os._exit, _thread.get_ident, type
        _dumps, _traceback_of = _json, BaseException.__traceback__.__get__
        # The program may replace builtins; the harness keeps the originals.
        _isinstance, _str, _int, _len = isinstance, str, int, len
        _AssertionError, _SystemExit, _MemoryError, _OSError = AssertionError, SystemExit, MemoryError, OSError
        _stdout_flush, _stderr_flush = sys.__stdout__.flush, sys.__stderr__.flush
        token = os.read(3, 256).strip()
        os.close(3)

        # Non-dumpable: no other process of the sandbox user may read this one's memory.
        try:
            import ctypes
            ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)   # PR_SET_DUMPABLE, 0
        except Exception:
            pass
        for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
            del sys.modules[name]

        def record(line):
            _write(4, (line + "\n").encode("utf-8", "replace"))

        with open("/sandbox/program.py", "rb") as handle:
            source = handle.read()
        lines = source.decode("utf-8", "replace").splitlines()

        def code_at(number):
            return lines[number - 1].strip() if isinstance(number, int) and 0 < number <= len(lines) else ""

        try:
            code = compile(source, "program.py", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            number = getattr(error, "lineno", None)
            record(_dumps({"kind": "syntax", "type": type(error).__name__,
                           "message": str(getattr(error, "msg", error)), "line": number, "code": code_at(number)}))
            _exit(1)

        blocked = frozenset([
            "sys.settrace", "sys.setprofile", "sys._settraceallthreads", "sys._setprofileallthreads",
            "sys.monitoring.register_callback", "sys._current_frames", "sys._current_exceptions",
            "gc.get_objects", "gc.get_referrers", "gc.get_referents", "code.__new__",
            "sys.addaudithook", "os.symlink"])
        frame_attributes = frozenset(["tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"])
        blocked_imports = frozenset(["ctypes", "_ctypes", "_testcapi", "_testinternalcapi"])
        permitted = [0]   # ident of the harness thread reading a traceback, else 0

        def hook(event, args, _blocked=blocked, _frame_attributes=frame_attributes, _permitted=permitted,
                 _blocked_imports=blocked_imports, _get_ident=_get_ident, _type=_type, _fspath=os.fspath,
                 _str=str, _bytes=bytes, _int=int):
            if _permitted[0] != 0 and _permitted[0] == _get_ident():
                return
            if event == "sys._getframe":
                raise ValueError("frame introspection is not allowed in the sandbox")
            if event == "object.__getattr__" and args[1] in _frame_attributes:
                raise AttributeError("frame introspection is not allowed in the sandbox")
            if event in _blocked or event.startswith("ctypes."):
                raise RuntimeError(event + " is not allowed in the sandbox")
            if event == "import" and (args[0] in _blocked_imports or args[0].startswith("ctypes.")):
                raise ImportError(args[0] + " is not allowed in the sandbox")
            if event == "open":
                path = args[0]
                if _type(path) is _int:
                    return
                if _type(path) is not _str and _type(path) is not _bytes:
                    path = _fspath(path)
                if _type(path) is _bytes:
                    path = path.decode("utf-8", "replace")
                if _type(path) is _str and path.rstrip("/").rsplit("/", 1)[-1] == "mem":
                    raise PermissionError("reading process memory is not allowed in the sandbox")

        sys.addaudithook(hook)

        def describe(error):
            # Where it happened: traceback frames are read with the hook's permission, in
            # this thread only, touching nothing the program defined.
            entries = []
            permitted[0] = _get_ident()
            try:
                trace = _traceback_of(error)
                while trace is not None and len(entries) < 1000:
                    entries.append((trace.tb_frame.f_code.co_filename, trace.tb_lineno))
                    trace = trace.tb_next
            except BaseException:
                pass
            finally:
                permitted[0] = 0
            numbers = [number for filename, number in entries if filename == "program.py"]
            number = numbers[-1] if numbers else None
            kind_name = type.__dict__["__name__"].__get__(_type(error))
            try:
                message = _str(error)[:2000]
            except BaseException:
                message = "(unprintable " + kind_name + ")"
            report = {"type": kind_name, "message": message, "line": number, "code": code_at(number)}
            if _isinstance(error, _AssertionError):
                report["kind"] = "assertion"
            elif _isinstance(error, _SystemExit):
                report["kind"] = "exit"
            elif _isinstance(error, _MemoryError):
                report["kind"] = "limit"
                report["limit"] = "memory"
            else:
                report["kind"] = "exception"
                if _isinstance(error, _OSError) and _type(error.errno) is _int:
                    report["errno"] = error.errno
            try:
                return _dumps(report)
            except BaseException:
                return '{"kind": "exception", "type": "unknown"}'

        succeeded = object()
        outcome = []
        done = _thread.allocate_lock()
        done.acquire()
        namespace = {"__name__": "__candidate__", "__builtins__": builtins}

        def worker():
            try:
                try:
                    exec(code, namespace)
                    outcome.append(succeeded)
                except BaseException as error:
                    outcome.append(describe(error))
            finally:
                done.release()

        # The program runs in a worker thread, which cannot install signal handlers; with
        # SIGINT ignored, _thread.interrupt_main() cannot raise in this thread either.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _thread.stack_size(64 << 20)
        record("READY")
        _thread.start_new_thread(worker, ())
        while True:
            try:
                done.acquire()
                break
            except BaseException:
                if outcome:   # raised after the worker finished: do not wait on a lock already taken
                    break
        for flush in (_stdout_flush, _stderr_flush):
            try:
                flush()
            except BaseException:
                pass
        if outcome and outcome[0] is succeeded:
            _write(4, b"PASS " + token + b"\n")
            _exit(0)
        report = outcome[0] if outcome and _type(outcome[0]) is str else '{"kind": "exception", "type": "unknown"}'
        _write(4, (report + "\n").encode("utf-8", "replace"))
        _exit(1)

    _main()
    """#

    /// One record the harness wrote, parsed.
    struct Report: Decodable {
        var kind: String
        var type: String?
        var message: String?
        var line: Int?
        var code: String?
        var limit: String?
        var errno: Int?
    }

    /// What the result channel says: whether the harness started, whether it proved completion,
    /// and its last report (the harness writes its own report last, then exits).
    static func read(channel: String, token: String?) -> (ready: Bool, proven: Bool, report: Report?) {
        var ready = false, proven = false
        var report: Report?
        for line in channel.split(separator: "\n") {
            if line == "READY" { ready = true; continue }
            if let token, line == "PASS " + token { proven = true; continue }
            if line.hasPrefix("{"), let parsed = try? JSONDecoder().decode(Report.self, from: Data(line.utf8)) {
                report = parsed
            }
        }
        return (ready, proven, report)
    }
}

import Foundation
