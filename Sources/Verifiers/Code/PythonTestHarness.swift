/// The Python side of a test run: the harness source, the program it runs, and how
/// its records on the result channel (fd 4) are read back.
///
/// Protocol on fd 4, one line each: `READY` once the interpreter is about to start the
/// program (its absence means the sandbox or the interpreter failed, not the program);
/// `PASS <nonce>` from the keeper, only after the interpreter proved that the program and
/// its tests returned; `NATIVE <what>` when the program took raw access to the interpreter
/// (ctypes, tracing, /proc/*/mem), after which a pass cannot be proven; `REFUSED <why>`
/// when a program function returned a value that is not plain; otherwise one JSON object
/// describing why not (`kind`: syntax, assertion, exception, exit, limit, refused).
public enum PythonTestHarness {
    /// File names inside /sandbox.
    static let harnessFileName = "harness.py"
    static let programFileName = "program.py"

    /// The harness. It runs as /sandbox/harness.py, pid 1 of the sandbox, with the nonce on
    /// fd 3 and the line where the tests start as its argument; see the threat model in
    /// Sandbox.swift for why each step is there.
    static let source = #"""
    # Quorum test harness. See the threat model in Sandbox.swift.
    # This process (the keeper, pid 1 of the sandbox) forks the interpreter, which runs
    # /sandbox/program.py as __main__ in its main thread. The keeper alone reads the nonce
    # (fd 3), and only after the interpreter proved, over a socket only the interpreter's
    # own harness code may connect to, that the program and its tests returned.
    # Imports are kept to modules already loaded at startup or small C modules (json,
    # threading, ast and socket would double the start time through re, enum and functools).
    import os, sys, signal, _socket, select

    _ADDRESS = b"\0quorum-proof"


    def _keeper():
        """Returns in the forked interpreter; in the keeper, waits for it and exits."""
        listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        listener.bind(_ADDRESS)
        listener.listen(16)
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        signal.signal(signal.SIGCHLD, lambda number, frame: None)
        signal.set_wakeup_fd(wake_write)
        child = os.fork()
        if child == 0:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            listener.close()
            for fd in (3, wake_read, wake_write):
                os.close(fd)
            return
        listening = listener.fileno()
        proven = False
        status = None

        def accept():
            # The peer's pid is the kernel's word, fixed at connect(): only the interpreter
            # itself counts, never a process it started.
            fd = listener._accept()[0]
            connection = _socket.socket(fileno=fd)
            try:
                credentials = connection.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
                return int.from_bytes(credentials[:4], sys.byteorder) == child
            finally:
                connection.close()

        while status is None:
            readable = select.select([listening, wake_read], [], [])[0]
            if listening in readable:
                proven = accept() or proven
            if wake_read in readable:
                os.read(wake_read, 4096)
                while True:   # pid 1 reaps every orphan of the sandbox
                    try:
                        pid, code = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    if pid == child:
                        status = code
        listener.setblocking(False)
        while not proven:
            try:
                proven = accept()
            except OSError:
                break
        if proven:
            os.write(4, b"PASS " + os.read(3, 256).strip() + b"\n")
            os._exit(0)
        os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))


    _keeper()


    def _json(report, _ord=ord, _type=type, _int=int, _str=str):
        """A flat dict of str, int and None as one JSON object."""
        def quote(text):
            out = []
            for character in text:
                code = _ord(character)
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
            elif _type(value) is _int:
                encoded = _str(value)
            else:
                encoded = quote(_str(value))
            items.append(quote(key) + ": " + encoded)
        return "{" + ", ".join(items) + "}"


    def _interpret():
        """The interpreter's whole life. The program can reach this module's globals (frames
        are not hidden), so what the harness relies on after the program started lives in
        locals and default arguments, which plain Python code cannot rebind."""
        top = sys._getframe()
        write, exit, fstat, kind_of, isinstance_, str_, len_ = os.write, os._exit, os.fstat, type, isinstance, str, len
        AssertionError_, SystemExit_, MemoryError_, OSError_ = AssertionError, SystemExit, MemoryError, OSError
        stdout_flush, stderr_flush = sys.__stdout__.flush, sys.__stderr__.flush
        traceback_of = BaseException.__traceback__.__get__
        type_name, mro_of, dict_of = (type.__dict__[name].__get__ for name in ("__name__", "__mro__", "__dict__"))
        result_inode = (fstat(4).st_dev, fstat(4).st_ino)
        function_type = kind_of(_json)
        harness_file = _json.__code__.co_filename
        stdlib = os.path.dirname(os.__file__) + "/"
        scalars = frozenset([int, float, complex, str, bytes, bool, kind_of(None), kind_of(...), range])
        dumps = _json

        def record(line, _write=write):
            _write(4, (line + "\n").encode("utf-8", "replace"))

        record("READY")
        with open("/sandbox/program.py", "rb") as handle:
            source = handle.read()
        lines = source.decode("utf-8", "replace").splitlines()
        tests_line = int(sys.argv[1]) if len_(sys.argv) > 1 else 1 << 30

        def code_at(number, _lines=lines, _type=kind_of, _len=len_):
            return _lines[number - 1].strip() if _type(number) is int and 0 < number <= _len(_lines) else ""

        # ---- Results the tests see are plain values ----------------------------------------
        # A program could return an object whose __eq__ (or __ne__, __abs__, __hash__...)
        # answers what the test wants. Every value a program function returns to the test code
        # goes through `plain`: built-in values, and subclasses of them read through the
        # built-in type's own methods, are copied into exact built-in types; an object whose
        # class carries methods the program wrote is refused (recorded at once on the result
        # channel, so catching the exception changes nothing). The test then compares values
        # the program no longer controls.
        class Refused(Exception):
            pass

        def refuse(message, _record=record, _Refused=Refused):
            _record("REFUSED " + message)
            raise _Refused(message)

        def program_methods(kind, _mro=mro_of, _dict=dict_of, _function=function_type, _stdlib=stdlib,
                            _type=kind_of, _getattr=getattr):
            for klass in _mro(kind):
                for value in _dict(klass).values():
                    for function in (value, _getattr(value, "__func__", None), _getattr(value, "fget", None)):
                        if _type(function) is _function and not function.__code__.co_filename.startswith(_stdlib):
                            return True
            return False

        guard_name = "__quorum_plain_results__"
        module = kind_of(sys)("__main__")
        module.__file__ = "/sandbox/program.py"
        namespace = module.__dict__
        namespace["__builtins__"] = __builtins__

        def plain(value, depth=0, _type=kind_of, _isinstance=isinstance_, _scalars=scalars, _refuse=refuse,
                  _int=int, _float=float, _str=str, _bytes_type=bytes, _complex=complex, _list=list, _tuple=tuple,
                  _dict=dict, _frozenset=frozenset, _set=set, _bytearray=bytearray,
                  _program_methods=program_methods, _type_name=type_name, _function=function_type, _hasattr=hasattr,
                  _bytes=bytes, _memoryview=memoryview, _module_of=type.__dict__["__module__"].__get__,
                  _name_of=type.__dict__["__qualname__"].__get__, _flags_of=type.__dict__["__flags__"].__get__,
                  _value_types=frozenset([("fractions", "Fraction")])):
            kind = _type(value)
            if kind in _scalars:
                return value
            if depth > 200:
                _refuse("returned a value nested more than 200 levels deep")
            if _isinstance(value, _int):
                return _int.__int__(value)
            if _isinstance(value, _float):
                return _float.__float__(value)
            if _isinstance(value, _str):
                return _str.__str__(value)
            if _isinstance(value, _bytes_type):
                return _bytes_type.__bytes__(value)
            if _isinstance(value, _complex):
                return _complex.__complex__(value)
            if _isinstance(value, _list):
                return [plain(item, depth + 1) for item in _list.__iter__(value)]
            if _isinstance(value, _tuple):
                return _tuple([plain(item, depth + 1) for item in _tuple.__iter__(value)])
            if _isinstance(value, _dict):
                return {plain(key, depth + 1): plain(item, depth + 1) for key, item in _dict.items(value)}
            if _isinstance(value, _frozenset):
                return _frozenset([plain(item, depth + 1) for item in _frozenset.__iter__(value)])
            if _isinstance(value, _set):
                return _set([plain(item, depth + 1) for item in _set.__iter__(value)])
            if _isinstance(value, _bytearray):
                return _bytearray(_bytes(_memoryview(value)))
            if kind is _function:
                return guard(value)
            if _flags_of(kind) & 256:
                # A type implemented in C (immutable: the program cannot have written or changed its
                # methods), such as a regex match, a Decimal, a date, an itertools iterator.
                if _module_of(kind) == "collections" and _name_of(kind) == "deque":
                    return kind([plain(item, depth + 1) for item in value])
                if _hasattr(kind, "__next__"):   # an iterator, a generator: its items, made plain
                    return (plain(item, depth + 1) for item in value)
                return value
            if (_module_of(kind), _name_of(kind)) in _value_types and not _program_methods(kind):
                return value
            _refuse("returned a " + _type_name(kind) + ", which is not a plain value: tests compare built-in values "
                    + "(their subclasses as the built-in type), values of types implemented in C, and fractions"
                    + (" (its class has methods of the program's own)" if _program_methods(kind) else ""))

        def guard(function, _isinstance=isinstance_, _callable=callable, _plain=plain, _main=namespace,
                  _name=guard_name, _refuse=refuse, _type=kind_of, _function=function_type, _getframe=sys._getframe):
            if _isinstance(function, _type) or not _callable(function):
                return function
            own_code = _getframe().f_code

            def guarded(*args, _wrapped=function, _own_code=own_code, **kwargs):
                result = _plain(_wrapped(*args, **kwargs))
                current = _main.get(_name)
                if _type(current) is not _function or current.__code__ is not _own_code:
                    _refuse("replaced the harness's check of returned values")
                return result
            return guarded

        # ---- Compile: the program up to its tests, then the tests with program functions guarded
        ast = __import__("_ast")
        try:
            tree = compile(source, "program.py", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
            head = [statement for statement in tree.body if statement.lineno < tests_line]
            tests = [statement for statement in tree.body if statement.lineno >= tests_line]
            defined = set()
            for statement in head:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    defined.add(statement.name)
                elif isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Lambda):
                    defined.update(target.id for target in statement.targets if isinstance(target, ast.Name))

            def rewrite(node):
                for field in node._fields:
                    value = getattr(node, field, None)
                    if isinstance(value, list):
                        for index, item in enumerate(value):
                            if isinstance(item, ast.AST):
                                value[index] = rewrite(item)
                    elif isinstance(value, ast.AST):
                        setattr(node, field, rewrite(value))
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in defined:
                    call = ast.Call(func=ast.Name(id=guard_name, ctx=ast.Load()), args=[node], keywords=[])
                    for attribute in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
                        setattr(call, attribute, getattr(node, attribute))
                        setattr(call.func, attribute, getattr(node, attribute))
                    return call
                return node

            if defined:
                tests = [rewrite(statement) for statement in tests]
            head_code = compile(ast.Module(body=head, type_ignores=[]), "program.py", "exec", dont_inherit=True)
            tests_code = compile(ast.Module(body=tests, type_ignores=[]), "program.py", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            number = getattr(error, "lineno", None)
            record(dumps({"kind": "syntax", "type": type(error).__name__,
                          "message": str(getattr(error, "msg", error)), "line": number, "code": code_at(number)}))
            exit(1)
        del tree, head, tests, defined, rewrite

        # ---- The audit hook: one policy ------------------------------------------------------
        # Nothing a program may legitimately do is refused. What gives it raw access to the
        # interpreter's memory or control flow (ctypes and the test extensions, loaded by any
        # route; /proc/*/mem; tracing and profiling, which can rewrite frames and jump; code
        # objects built by hand; exec'ing a new image, which keeps the interpreter's pid but not
        # this hook) is allowed but recorded on the result channel first, and a run
        # so marked cannot pass: the proof below could then have been forged. Refused: connecting
        # to the keeper from any frame but this one, and changing the harness's functions.
        native_modules = frozenset(["_ctypes", "_testcapi", "_testinternalcapi", "_ctypes_test",
                                    "_xxsubinterpreters", "_xxinterpchannels"])
        recorded_events = frozenset(["sys.settrace", "sys.setprofile", "code.__new__"])

        def hook(event, args, _top=top, _getframe=sys._getframe, _type=kind_of, _str=str_, _bytes=bytes, _tuple=tuple,
                 _PermissionError=PermissionError,
                 _native=native_modules, _recorded=recorded_events, _address=_ADDRESS, _fstat=fstat,
                 _inode=result_inode, _write=write, _function=function_type, _harness=harness_file,
                 _stdlib=stdlib, _getpid=os.getpid, _interpreter=os.getpid()):
            if event == "socket.connect":
                address = args[1]
                if _type(address) is _str:
                    address = address.encode("utf-8", "surrogateescape")
                elif _type(address) is not _tuple:
                    address = _bytes(address)
                if address == _address and _getframe(1) is not _top:
                    raise _PermissionError("the harness's proof channel is not the program's to use")
                return
            if event == "object.__setattr__":
                target, name, value = args
                if (_type(target) is _function and target.__code__.co_filename == _harness) or (
                        name == "__code__" and _type(value) is _type(_getframe().f_code) and value.co_filename == _harness):
                    raise _PermissionError("the harness's functions cannot be changed")
                return
            native = None
            if event == "import":
                if args[0].rpartition(".")[2] in _native:
                    native = args[0]
            elif event == "os.exec":
                # A new image in the interpreter's own process keeps its pid but not this hook.
                if _getpid() == _interpreter:
                    native = "os.exec"
            elif event in _recorded:
                # The standard library builds code objects from code objects it was given (mock's
                # async detection); only the program's own constructions may hold crafted bytecode.
                if event != "code.__new__" or not _getframe(1).f_code.co_filename.startswith(_stdlib):
                    native = event
            elif event == "open" or event == "os.symlink":
                path = args[0]
                if _type(path) is _bytes:
                    path = path.decode("utf-8", "replace")
                if _type(path) is _str and path.rstrip("/").rpartition("/")[2] == "mem":
                    native = event + " " + path
            if native is not None:
                status = _fstat(4)
                if (status.st_dev, status.st_ino) != _inode:
                    raise _PermissionError("the result channel was replaced")
                _write(4, ("NATIVE " + native + "\n").encode("utf-8", "replace"))

        def describe(error, _traceback_of=traceback_of, _len=len_, _type=kind_of, _type_name=type_name, _str=str_,
                     _Refused=Refused, _isinstance=isinstance_, _AssertionError=AssertionError_,
                     _SystemExit=SystemExit_, _MemoryError=MemoryError_, _OSError=OSError_, _code_at=code_at,
                     _dumps=dumps):
            entries = []
            try:
                trace = _traceback_of(error)
                while trace is not None and _len(entries) < 1000:
                    entries.append((trace.tb_frame.f_code.co_filename, trace.tb_lineno))
                    trace = trace.tb_next
            except BaseException:
                pass
            numbers = [number for filename, number in entries if filename == "program.py"]
            number = numbers[-1] if numbers else None
            kind_name = _type_name(_type(error))
            try:
                message = _str(error)[:2000]
            except BaseException:
                message = "(unprintable " + kind_name + ")"
            report = {"type": kind_name, "message": message, "line": number, "code": _code_at(number)}
            if _type(error) is _Refused:
                report["kind"] = "refused"
            elif _isinstance(error, _AssertionError):
                report["kind"] = "assertion"
            elif _isinstance(error, _SystemExit):
                report["kind"] = "exit"
            elif _isinstance(error, _MemoryError):
                report["kind"] = "limit"
                report["limit"] = "memory"
            else:
                report["kind"] = "exception"
                if _isinstance(error, _OSError) and _type(error.errno) is int:
                    report["errno"] = error.errno
            try:
                return _dumps(report)
            except BaseException:
                return '{"kind": "exception", "type": "unknown"}'

        def flush(_flushes=(stdout_flush, stderr_flush)):
            for function in _flushes:
                try:
                    function()
                except BaseException:
                    pass

        connect = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM).connect
        address = _ADDRESS
        sys.addaudithook(hook)
        sys.modules["__main__"] = module
        sys.argv[:] = ["/sandbox/program.py"]
        try:
            exec(head_code, namespace)
            namespace[guard_name] = guard
            exec(tests_code, namespace)
        except BaseException as error:
            flush()
            record(describe(error))
            exit(1)
        flush()
        if namespace.get(guard_name) is not guard:
            record("REFUSED replaced the harness's check of returned values")
            exit(1)
        connect(address)
        exit(0)


    _interpret()
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

    /// What the result channel says.
    struct Channel {
        /// The interpreter started the program.
        var ready = false
        /// The keeper wrote the nonce: the program and its tests returned.
        var proven = false
        /// What gave the program raw access to the interpreter (a pass is then unprovable).
        var native: [String] = []
        /// Why a returned value was refused.
        var refused: [String] = []
        /// The interpreter's last report (it writes its own report last, then exits).
        var report: Report?
    }

    static func read(channel text: String, token: String?) -> Channel {
        var channel = Channel()
        for line in text.split(separator: "\n") {
            if line == "READY" { channel.ready = true; continue }
            if let token, line == "PASS " + token { channel.proven = true; continue }
            if line.hasPrefix("NATIVE ") { channel.native.append(String(line.dropFirst(7))); continue }
            if line.hasPrefix("REFUSED ") { channel.refused.append(String(line.dropFirst(8))); continue }
            if line.hasPrefix("{"), let parsed = try? JSONDecoder().decode(Report.self, from: Data(line.utf8)) {
                channel.report = parsed
            }
        }
        return channel
    }
}

import Foundation
