"""libc for the sandbox's child side, through `_ctypes` alone (the supervisor and the code process use it).

Why not `ctypes.CDLL(None)`: the `ctypes` package costs several milliseconds of the round trip at startup (struct,
endian classes), and the child imports only cheap builtins. The object `load_libc` returns calls any libc function
by name (ints, bytes as pointers, None as NULL; an int result and `get_errno`), and builds the two kinds of C
buffer the child needs: u32 arrays (capabilities) and a byte copy with its address (the seccomp program).

Example:
    >>> load_libc().getpid() > 0  # doctest: +SKIP
    True
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def load_libc() -> Any:
    """libc through `_ctypes` alone: the `ctypes` package costs several ms of startup (struct, endian classes)."""
    import _ctypes

    class c_int(_ctypes._SimpleCData):
        _type_ = "i"

    class c_uint(_ctypes._SimpleCData):
        _type_ = "I"

    class c_char(_ctypes._SimpleCData):
        _type_ = "c"

    class Fn(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = c_int

    class Lib:
        _handle = _ctypes.dlopen(None, 0x102)  # type: ignore[arg-type]  # RTLD_NOW | RTLD_GLOBAL, like CDLL(None)
        get_errno = staticmethod(_ctypes.get_errno)

        def __getattr__(self, name: str) -> Fn:
            return Fn((name, self))  # type: ignore[arg-type]  # a CDLL-like object: _handle

        @staticmethod
        def u32(*values: int) -> object:
            class U(_ctypes.Array):
                _type_ = c_uint
                _length_ = len(values)

            return U(*values)

        @staticmethod
        def buffer(data: bytes) -> tuple[object, int]:
            """A C copy of `data` and its address (keep the copy alive while the address is in use)."""

            class B(_ctypes.Array):
                _type_ = c_char
                _length_ = len(data)

            copy = B.from_buffer_copy(data)
            return copy, _ctypes.addressof(copy)

    return Lib()
